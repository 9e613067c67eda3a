// The compute port: a provider's running capacity for a service, and scaling it.
#pragma once

#include <string>
#include <vector>

#include "broker/core/status.h"

namespace icb {

struct Deployment {
  std::string service;
  std::string url;  // where the service answers: a probe target
};

struct ComputeState {
  int instances = 0;
  int capacity = 0;  // what the provider has room for
  int quota = 0;     // what this customer may run
};

class ComputeProvider {
 public:
  static constexpr const char* kCapability = "compute";
  virtual ~ComputeProvider() = default;
  virtual Result<ComputeState> State() = 0;
  // kResourceExhausted over quota, kFailedPrecondition over capacity.
  virtual Status Scale(int instances) = 0;
  // Deploys a service (idempotent by name); the answer says where it serves.
  virtual Result<Deployment> Deploy(const std::string& service) = 0;
  // What the broker should probe: every deployed service's URL.
  virtual Result<std::vector<Deployment>> ProbeTargets() = 0;
};

}  // namespace icb
