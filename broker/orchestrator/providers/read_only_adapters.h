// Adapters that can only look: a drill plans over them, so nothing it runs
// can deploy, scale, switch a record, set weights or copy an object. Reads
// of compute state (capacity, quota, what runs) go to the provider; every
// call that would change something is refused without reaching it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "broker/orchestrator/providers/provider_adapters.h"

namespace icb {

class ReadOnlyAdapters final : public ProviderAdapters {
 public:
  explicit ReadOnlyAdapters(ProviderAdapters& inner) : inner_(inner) {}
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) override;
  // No DNS, traffic split or object storage: a drill reads none of them.
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override;
  Result<std::unique_ptr<ObjectStore>> Objects(const std::string& provider) override;
  Result<std::unique_ptr<TrafficSplit>> Split(const std::string& provider) override;
  // Calls refused because they would have changed something (0 when the
  // planner only looked, as it should).
  long long refused() const { return refused_.load(); }

 private:
  ProviderAdapters& inner_;
  std::atomic<long long> refused_{0};
};

}  // namespace icb
