#include "broker/orchestrator/providers/call_gate.h"

#include <algorithm>

#include "broker/core/call_priority.h"

namespace icb {

CallGates::Slot CallGates::Enter(const std::string& gate, std::optional<int> limit) {
  std::unique_lock<std::mutex> lock(mu_);
  Gate& g = gates_[gate];
  g.limit = std::max(1, limit.value_or(limit_));  // the catalog's latest word
  const std::pair<int, uint64_t> ticket{CallPriority::Current(), arrivals_++};
  const bool outage = CallPriority::IsOutage(ticket.first);
  g.waiting.insert(ticket);
  g.freed.wait(lock, [&] {
    if (g.in_flight >= g.limit || *g.waiting.begin() != ticket) return false;
    const int kept = CallPriority::KeptForOutages(g.limit);
    return outage || g.others_in_flight < g.limit - kept;
  });
  g.waiting.erase(ticket);
  ++g.in_flight;
  if (!outage) ++g.others_in_flight;
  g.most = std::max(g.most, g.in_flight);
  // The next in line may fit too (a limit above one).
  if (!g.waiting.empty()) g.freed.notify_all();
  return Slot(this, gate, outage);
}

void CallGates::Leave(const std::string& gate, bool outage) {
  std::lock_guard<std::mutex> lock(mu_);
  Gate& g = gates_[gate];
  --g.in_flight;
  if (!outage) --g.others_in_flight;
  g.freed.notify_all();
}

int CallGates::InFlight(const std::string& gate) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(gate);
  return it == gates_.end() ? 0 : it->second.in_flight;
}

int CallGates::MostInFlight(const std::string& gate) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(gate);
  return it == gates_.end() ? 0 : it->second.most;
}

int CallGates::Waiting(const std::string& gate) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gates_.find(gate);
  return it == gates_.end() ? 0 : static_cast<int>(it->second.waiting.size());
}

namespace {

// One adapter's gate: its name and limit, settled when the adapter is made.
struct GateOf {
  CallGates& gates;
  std::string name;
  std::optional<int> limit;
  [[nodiscard]] CallGates::Slot Enter() const { return gates.Enter(name, limit); }
};

// Every call of `Port` through one gate; what each wrapper forwards is
// written out below, port by port.
template <typename Port>
class Gated : public Port {
 public:
  Gated(std::unique_ptr<Port> inner, GateOf gate) : inner_(std::move(inner)), gate_(std::move(gate)) {}

 protected:
  // `call` on the inner adapter, holding a slot.
  template <typename Call>
  auto Through(Call call) {
    auto slot = gate_.Enter();
    return call(*inner_);
  }
  Port& inner() { return *inner_; }
  const Port& inner() const { return *inner_; }

 private:
  std::unique_ptr<Port> inner_;
  GateOf gate_;
};

class GatedCompute final : public Gated<ComputeProvider> {
 public:
  using Gated::Gated;
  Result<ComputeState> State() override {
    return Through([&](ComputeProvider& c) { return c.State(); });
  }
  Result<Deployment> Deploy(const std::string& service, const std::string& key) override {
    return Through([&](ComputeProvider& c) { return c.Deploy(service, key); });
  }
  Status Scale(const std::string& service, int instances, const std::string& key) override {
    return Through([&](ComputeProvider& c) { return c.Scale(service, instances, key); });
  }
  Result<std::vector<Deployment>> ProbeTargets() override {
    return Through([&](ComputeProvider& c) { return c.ProbeTargets(); });
  }
};

class GatedDns final : public Gated<DnsSwitch> {
 public:
  using Gated::Gated;
  Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) override {
    return Through([&](DnsSwitch& d) { return d.Get(name, type); });
  }
  Status Replace(const DnsRecordSet& records) override {
    return Through([&](DnsSwitch& d) { return d.Replace(records); });
  }
  Status Delete(const std::string& name, const std::string& type) override {
    return Through([&](DnsSwitch& d) { return d.Delete(name, type); });
  }
  bool AnswersByClientNetwork() const override { return inner().AnswersByClientNetwork(); }  // no call: what the adapter is
};

class GatedSplit final : public Gated<TrafficSplit> {
 public:
  using Gated::Gated;
  Result<std::vector<SplitServer>> Servers() override {
    return Through([&](TrafficSplit& t) { return t.Servers(); });
  }
  Status SetWeights(const std::map<std::string, int>& weights) override {
    return Through([&](TrafficSplit& t) { return t.SetWeights(weights); });
  }
  Status SetState(const std::string& server, const std::string& state) override {
    return Through([&](TrafficSplit& t) { return t.SetState(server, state); });
  }
};

class GatedObjects final : public Gated<ObjectStore> {
 public:
  using Gated::Gated;
  Status EnsureContainer() override {
    return Through([&](ObjectStore& o) { return o.EnsureContainer(); });
  }
  Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) override {
    return Through([&](ObjectStore& o) { return o.List(prefix, token, max_keys); });
  }
  Result<ObjectInfo> Head(std::string_view key) override {
    return Through([&](ObjectStore& o) { return o.Head(key); });
  }
  // The streams a copy holds open at once: not gated (see call_gate.h).
  Status Get(std::string_view key, const ByteSink& sink) override { return inner().Get(key, sink); }
  Status Put(std::string_view key, ByteSource& source, uint64_t size) override { return inner().Put(key, source, size); }
  Status Delete(std::string_view key) override {
    return Through([&](ObjectStore& o) { return o.Delete(key); });
  }
  Status GetRange(std::string_view key, uint64_t offset, uint64_t length, const ByteSink& sink) override {
    return Through([&](ObjectStore& o) { return o.GetRange(key, offset, length, sink); });
  }
  uint64_t PartSize() const override { return inner().PartSize(); }
  Result<std::string> StartParts(std::string_view key) override {
    return Through([&](ObjectStore& o) { return o.StartParts(key); });
  }
  Result<std::string> PutPart(std::string_view key, std::string_view upload, int number, std::string_view data) override {
    return Through([&](ObjectStore& o) { return o.PutPart(key, upload, number, data); });
  }
  Status CompleteParts(std::string_view key, std::string_view upload, const std::vector<std::string>& tags) override {
    return Through([&](ObjectStore& o) { return o.CompleteParts(key, upload, tags); });
  }
  Status AbortParts(std::string_view key, std::string_view upload) override {
    return Through([&](ObjectStore& o) { return o.AbortParts(key, upload); });
  }
};

// What the inner adapters made, wrapped in `Wrapper` for its gate.
template <typename Wrapper, typename Port>
Result<std::unique_ptr<Port>> Wrap(Result<std::unique_ptr<Port>> made, GateOf gate) {
  if (!made.ok()) return made.status();
  return std::unique_ptr<Port>(std::make_unique<Wrapper>(std::move(made).value(), std::move(gate)));
}

}  // namespace

Result<std::unique_ptr<ComputeProvider>> GatedProviderAdapters::Compute(const std::string& provider) {
  const char* cap = ComputeProvider::kCapability;
  return Wrap<GatedCompute>(inner_.Compute(provider), {gates_, CallGates::Name(provider, cap), LimitOf(provider, cap)});
}

Result<std::unique_ptr<DnsSwitch>> GatedProviderAdapters::Dns(const std::string& provider) {
  const char* cap = DnsSwitch::kCapability;
  return Wrap<GatedDns>(inner_.Dns(provider), {gates_, CallGates::Name(provider, cap), LimitOf(provider, cap)});
}

Result<std::unique_ptr<ObjectStore>> GatedProviderAdapters::Objects(const std::string& provider) {
  const char* cap = ObjectStore::kCapability;
  return Wrap<GatedObjects>(inner_.Objects(provider), {gates_, CallGates::Name(provider, cap), LimitOf(provider, cap)});
}

Result<std::unique_ptr<TrafficSplit>> GatedProviderAdapters::Split(const std::string& provider) {
  const char* cap = TrafficSplit::kCapability;
  return Wrap<GatedSplit>(inner_.Split(provider), {gates_, CallGates::Name(provider, cap), LimitOf(provider, cap)});
}

}  // namespace icb
