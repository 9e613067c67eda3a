// The compute port: a provider's capacity for the customer's services, and
// deploying and scaling them. Every call that changes something is
// idempotent (deploy by name, scale to a number) and carries the broker's
// idempotency key, so a provider that keeps them can tell a retry from a
// second request.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/status.h"

namespace icb {

struct Deployment {
  std::string service;
  std::string url;  // where the service answers: a probe target
  // Instances running now, when the provider's answer says (as a create-or-
  // get answers with the object): saves reading the whole provider's state,
  // which grows with every service it runs.
  std::optional<int> instances = std::nullopt;
};

struct ServiceInstances {
  std::string service;
  int instances = 0;
  std::string url;
  // How busy its instances are, percent (mean over them, as the provider's
  // monitoring reports it); unset: the provider does not say.
  std::optional<double> utilization_percent;
};

struct ComputeState {
  int capacity = 0;  // instances the provider has room for, all services together
  int quota = 0;     // instances this customer may run, all services together
  int used = 0;      // instances running, all services together
  std::vector<ServiceInstances> services;

  const ServiceInstances* Find(const std::string& service) const {
    auto it = std::find_if(services.begin(), services.end(), [&](const ServiceInstances& s) { return s.service == service; });
    return it == services.end() ? nullptr : &*it;
  }
  // Instances `service` could be scaled to: what it runs plus the room left
  // within both the capacity and the quota.
  int Room(const std::string& service) const {
    const ServiceInstances* s = Find(service);
    const int own = s ? s->instances : 0;
    return std::max(0, std::min(capacity, quota) - used + own);
  }
};

class ComputeProvider {
 public:
  static constexpr const char* kCapability = "compute";
  virtual ~ComputeProvider() = default;
  virtual Result<ComputeState> State() = 0;
  // Deploys a service (idempotent by name; 0 instances when new); the
  // answer says where it serves.
  virtual Result<Deployment> Deploy(const std::string& service, const std::string& idempotency_key) = 0;
  // Scales a deployed service to `instances`: kResourceExhausted over quota,
  // kFailedPrecondition over capacity, kNotFound when not deployed; nothing
  // changes when refused.
  virtual Status Scale(const std::string& service, int instances, const std::string& idempotency_key) = 0;
  // What the broker should probe: every deployed service's URL.
  virtual Result<std::vector<Deployment>> ProbeTargets() = 0;
};

}  // namespace icb
