// A limit on each provider's calls in flight. Real control planes throttle
// (AWS EC2 and Azure ARM answer 429 past their rate); a recovery of
// hundreds of workloads on one target must not send hundreds of calls at
// once. A call past the limit waits for a slot, and a freed slot goes to
// the most urgent waiting call (CallPriority: the workload's priority, 1
// first), then to the one waiting longest. GatedProviderAdapters puts every
// call through the gate of the provider and adapter it goes to (compute,
// DNS, traffic split, object storage: each its own API with its own limits
// at a real provider), whose limit is the adapter's calls_in_flight, else
// the broker's (serve --provider-calls).
//
// Two object-storage calls are not gated: Get and Put, the streams a copy
// holds open at once (the source's Get feeding the target's Put). A copy
// holding a slot at its source while it waits for one at its target could
// deadlock against a copy the other way; the data mover's transfers bound
// them instead. Every other object-storage call (List, Head, Delete, the
// parts of an upload, ranged reads) is one request and is gated.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "broker/orchestrator/providers/provider_adapters.h"

namespace icb {

class CallGates {
 public:
  // `per_gate`: calls in flight through one gate at most (at least 1)
  // unless Enter names the gate's own.
  explicit CallGates(int per_gate) : limit_(per_gate < 1 ? 1 : per_gate) {}

  // The gate of `provider`'s `capability` adapter.
  static std::string Name(const std::string& provider, const char* capability) { return provider + "/" + capability; }

  // A call's slot: held from Enter until it is destroyed.
  class Slot {
   public:
    Slot(CallGates* gates, std::string provider, bool outage) : gates_(gates), provider_(std::move(provider)), outage_(outage) {}
    Slot(Slot&& o) noexcept : gates_(std::exchange(o.gates_, nullptr)), provider_(std::move(o.provider_)), outage_(o.outage_) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gates_) gates_->Leave(provider_, outage_);
    }

   private:
    CallGates* gates_;
    std::string provider_;
    bool outage_;
  };

  // Blocks until `gate` has a slot for a call of the current thread's
  // CallPriority; `limit` (at least 1) is the gate's own, else the default.
  // A quarter of a gate's slots (at least one, of two or more) is kept for
  // outage recovery (CallPriority::IsOutage): other calls, hanging at a
  // slow control plane, never hold every slot while a recovery waits.
  [[nodiscard]] Slot Enter(const std::string& gate, std::optional<int> limit = std::nullopt);
  // Calls in flight through `gate` now, and the most there ever were.
  int InFlight(const std::string& gate) const;
  int MostInFlight(const std::string& gate) const;
  // Calls waiting for a slot at `gate` now.
  int Waiting(const std::string& gate) const;
  int limit() const { return limit_; }

 private:
  struct Gate {
    int limit = 1;
    int in_flight = 0;
    int others_in_flight = 0;  // of those, calls not recovering from an outage
    int most = 0;
    std::set<std::pair<int, uint64_t>> waiting;  // (priority, arrival): the first is served next
    std::condition_variable freed;
  };
  void Leave(const std::string& provider, bool outage);

  const int limit_;
  mutable std::mutex mu_;
  std::map<std::string, Gate> gates_;
  uint64_t arrivals_ = 0;
};

// A provider adapter's own limit of calls in flight (calls_in_flight in its
// catalog entry: CatalogProviderAdapters::CallLimit); nullopt: the default.
using CallLimitFn = std::function<std::optional<int>(const std::string& provider, const char* capability)>;

// The adapters of `inner`, each call through its provider's and adapter's gate.
class GatedProviderAdapters final : public ProviderAdapters {
 public:
  GatedProviderAdapters(ProviderAdapters& inner, CallGates& gates, CallLimitFn limits = nullptr)
      : inner_(inner), gates_(gates), limits_(std::move(limits)) {}
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) override;
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override;
  Result<std::unique_ptr<ObjectStore>> Objects(const std::string& provider) override;
  Result<std::unique_ptr<TrafficSplit>> Split(const std::string& provider) override;

 private:
  std::optional<int> LimitOf(const std::string& provider, const char* capability) const {
    return limits_ ? limits_(provider, capability) : std::nullopt;
  }

  ProviderAdapters& inner_;
  CallGates& gates_;
  CallLimitFn limits_;
};

}  // namespace icb
