// A limit on each provider's control-plane calls in flight. Real control
// planes throttle (AWS EC2 and Azure ARM answer 429 past their rate); a
// recovery of hundreds of workloads on one target must not send hundreds of
// calls at once. A call past the limit waits for a slot, and a freed slot
// goes to the most urgent waiting call (CallPriority: the workload's
// priority, 1 first), then to the one waiting longest. GatedProviderAdapters
// puts every compute, DNS and traffic-split call through the gate of the
// provider it goes to.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "broker/orchestrator/providers/provider_adapters.h"

namespace icb {

class CallGates {
 public:
  // `per_provider`: calls in flight at one provider at most (at least 1).
  explicit CallGates(int per_provider) : limit_(per_provider < 1 ? 1 : per_provider) {}

  // A call's slot: held from Enter until it is destroyed.
  class Slot {
   public:
    Slot(CallGates* gates, std::string provider) : gates_(gates), provider_(std::move(provider)) {}
    Slot(Slot&& o) noexcept : gates_(std::exchange(o.gates_, nullptr)), provider_(std::move(o.provider_)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gates_) gates_->Leave(provider_);
    }

   private:
    CallGates* gates_;
    std::string provider_;
  };

  // Blocks until `provider` has a slot for a call of the current thread's
  // CallPriority.
  [[nodiscard]] Slot Enter(const std::string& provider);
  // Calls in flight at `provider` now, and the most there ever were.
  int InFlight(const std::string& provider) const;
  int MostInFlight(const std::string& provider) const;
  // Calls waiting for a slot at `provider` now.
  int Waiting(const std::string& provider) const;
  int limit() const { return limit_; }

 private:
  struct Gate {
    int in_flight = 0;
    int most = 0;
    std::set<std::pair<int, uint64_t>> waiting;  // (priority, arrival): the first is served next
    std::condition_variable freed;
  };
  void Leave(const std::string& provider);

  const int limit_;
  mutable std::mutex mu_;
  std::map<std::string, Gate> gates_;
  uint64_t arrivals_ = 0;
};

// The adapters of `inner`, each call through its provider's gate.
class GatedProviderAdapters final : public ProviderAdapters {
 public:
  GatedProviderAdapters(ProviderAdapters& inner, CallGates& gates) : inner_(inner), gates_(gates) {}
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) override;
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override;
  Result<std::unique_ptr<ObjectStore>> Objects(const std::string& provider) override { return inner_.Objects(provider); }
  Result<std::unique_ptr<TrafficSplit>> Split(const std::string& provider) override;

 private:
  ProviderAdapters& inner_;
  CallGates& gates_;
};

}  // namespace icb
