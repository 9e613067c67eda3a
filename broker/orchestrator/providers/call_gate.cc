#include "broker/orchestrator/providers/call_gate.h"

#include <algorithm>

#include "broker/core/call_priority.h"

namespace icb {

CallGates::Slot CallGates::Enter(const std::string& provider) {
  std::unique_lock<std::mutex> lock(mu_);
  Gate& g = gates_[provider];
  const std::pair<int, uint64_t> ticket{CallPriority::Current(), arrivals_++};
  g.waiting.insert(ticket);
  g.freed.wait(lock, [&] { return g.in_flight < limit_ && *g.waiting.begin() == ticket; });
  g.waiting.erase(ticket);
  ++g.in_flight;
  g.most = std::max(g.most, g.in_flight);
  // The next in line may fit too (a limit above one).
  if (!g.waiting.empty()) g.freed.notify_all();
  return Slot(this, provider);
}

void CallGates::Leave(const std::string& provider) {
  std::lock_guard<std::mutex> lock(mu_);
  Gate& g = gates_[provider];
  --g.in_flight;
  g.freed.notify_all();
}

int CallGates::InFlight(const std::string& provider) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(provider);
  return it == gates_.end() ? 0 : it->second.in_flight;
}

int CallGates::MostInFlight(const std::string& provider) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(provider);
  return it == gates_.end() ? 0 : it->second.most;
}

int CallGates::Waiting(const std::string& provider) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(provider);
  return it == gates_.end() ? 0 : static_cast<int>(it->second.waiting.size());
}

namespace {

class GatedCompute final : public ComputeProvider {
 public:
  GatedCompute(std::unique_ptr<ComputeProvider> inner, CallGates& gates, std::string provider)
      : inner_(std::move(inner)), gates_(gates), provider_(std::move(provider)) {}
  Result<ComputeState> State() override {
    auto slot = gates_.Enter(provider_);
    return inner_->State();
  }
  Result<Deployment> Deploy(const std::string& service, const std::string& idempotency_key) override {
    auto slot = gates_.Enter(provider_);
    return inner_->Deploy(service, idempotency_key);
  }
  Status Scale(const std::string& service, int instances, const std::string& idempotency_key) override {
    auto slot = gates_.Enter(provider_);
    return inner_->Scale(service, instances, idempotency_key);
  }
  Result<std::vector<Deployment>> ProbeTargets() override {
    auto slot = gates_.Enter(provider_);
    return inner_->ProbeTargets();
  }

 private:
  std::unique_ptr<ComputeProvider> inner_;
  CallGates& gates_;
  std::string provider_;
};

class GatedDns final : public DnsSwitch {
 public:
  GatedDns(std::unique_ptr<DnsSwitch> inner, CallGates& gates, std::string provider)
      : inner_(std::move(inner)), gates_(gates), provider_(std::move(provider)) {}
  Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) override {
    auto slot = gates_.Enter(provider_);
    return inner_->Get(name, type);
  }
  Status Replace(const DnsRecordSet& records) override {
    auto slot = gates_.Enter(provider_);
    return inner_->Replace(records);
  }
  Status Delete(const std::string& name, const std::string& type) override {
    auto slot = gates_.Enter(provider_);
    return inner_->Delete(name, type);
  }

 private:
  std::unique_ptr<DnsSwitch> inner_;
  CallGates& gates_;
  std::string provider_;
};

class GatedSplit final : public TrafficSplit {
 public:
  GatedSplit(std::unique_ptr<TrafficSplit> inner, CallGates& gates, std::string provider)
      : inner_(std::move(inner)), gates_(gates), provider_(std::move(provider)) {}
  Result<std::vector<SplitServer>> Servers() override {
    auto slot = gates_.Enter(provider_);
    return inner_->Servers();
  }
  Status SetWeights(const std::map<std::string, int>& weights) override {
    auto slot = gates_.Enter(provider_);
    return inner_->SetWeights(weights);
  }
  Status SetState(const std::string& server, const std::string& state) override {
    auto slot = gates_.Enter(provider_);
    return inner_->SetState(server, state);
  }

 private:
  std::unique_ptr<TrafficSplit> inner_;
  CallGates& gates_;
  std::string provider_;
};

// What the inner adapters made, wrapped in `Gated` for `provider`'s gate.
template <typename Gated, typename Port>
Result<std::unique_ptr<Port>> Wrap(Result<std::unique_ptr<Port>> made, CallGates& gates, const std::string& provider) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<Port>(std::make_unique<Gated>(std::move(made).value(), gates, provider));
}

}  // namespace

Result<std::unique_ptr<ComputeProvider>> GatedProviderAdapters::Compute(const std::string& provider) {
  return Wrap<GatedCompute>(inner_.Compute(provider), gates_, provider);
}

Result<std::unique_ptr<DnsSwitch>> GatedProviderAdapters::Dns(const std::string& provider) {
  return Wrap<GatedDns>(inner_.Dns(provider), gates_, provider);
}

Result<std::unique_ptr<TrafficSplit>> GatedProviderAdapters::Split(const std::string& provider) {
  return Wrap<GatedSplit>(inner_.Split(provider), gates_, provider);
}

}  // namespace icb
