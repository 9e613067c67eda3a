// In-memory DNS switch, traffic split and compute provider for unit tests,
// and the reference each conformance suite is written against.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/ports/compute.h"
#include "broker/ports/dns.h"
#include "broker/ports/traffic_split.h"

namespace icb {

std::unique_ptr<DnsSwitch> NewMemoryDnsSwitch(std::string zone);
std::unique_ptr<TrafficSplit> NewMemoryTrafficSplit(std::vector<std::string> servers);

// A deploy or scale call as the provider saw it: `effect` when it changed
// something (a new service, a different number), so tests count effects.
struct ComputeCall {
  std::string call;  // deploy | scale
  std::string service;
  int instances = 0;
  std::string idempotency_key;
  bool effect = false;
};

class MemoryCompute : public ComputeProvider {
 public:
  virtual void SetCapacity(int capacity) = 0;  // what a provider's own change would do
  // Every service's utilisation from now on (unset: not reported).
  virtual void SetUtilization(std::optional<double> percent) = 0;
  virtual std::vector<ComputeCall> Calls() const = 0;
};
std::unique_ptr<MemoryCompute> NewMemoryCompute(int capacity, int quota, std::string url);

}  // namespace icb
