// The compute port: a provider's running capacity for a service, and scaling it.
#pragma once

#include <string>

#include "broker/core/status.h"

namespace icb {

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
};

}  // namespace icb
