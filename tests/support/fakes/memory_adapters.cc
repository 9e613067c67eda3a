#include "tests/support/fakes/memory_adapters.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace icb {

namespace {

class MemoryDnsSwitch final : public DnsSwitch {
 public:
  explicit MemoryDnsSwitch(std::string zone) : zone_(std::move(zone)) {}
  Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) override {
    std::lock_guard lock(mu_);
    auto it = sets_.find({name, type});
    if (it == sets_.end()) return std::optional<DnsRecordSet>();
    return std::optional<DnsRecordSet>(it->second);
  }
  Status Replace(const DnsRecordSet& r) override {
    ICB_RETURN_IF_ERROR(CheckRecordSet(r, zone_));
    std::lock_guard lock(mu_);
    sets_[{r.name, r.type}] = r;
    return Status::Ok();
  }
  Status Delete(const std::string& name, const std::string& type) override {
    std::lock_guard lock(mu_);
    sets_.erase({name, type});
    return Status::Ok();
  }
  bool AnswersByClientNetwork() const override { return true; }

 private:
  std::string zone_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, DnsRecordSet> sets_;
};

class MemoryTrafficSplit final : public TrafficSplit {
 public:
  explicit MemoryTrafficSplit(std::vector<std::string> names) {
    for (auto& n : names) servers_.push_back({std::move(n), 1, "ready"});
  }
  Result<std::vector<SplitServer>> Servers() override {
    std::lock_guard lock(mu_);
    return servers_;
  }
  Status SetWeights(const std::map<std::string, int>& weights) override {
    std::lock_guard lock(mu_);
    for (const auto& [name, w] : weights) {
      if (!Find(name)) return InvalidArgument("unknown server", {{"/weights/" + name, "no server " + name}});
      if (w < 0 || w > 256) return InvalidArgument("weight out of range", {{"/weights/" + name, "weights are 0 to 256"}});
    }
    for (const auto& [name, w] : weights) Find(name)->weight = w;
    return Status::Ok();
  }
  Status SetState(const std::string& server, const std::string& state) override {
    if (state != "ready" && state != "drain" && state != "maint") return InvalidArgument("invalid state", {{"/state", "ready, drain or maint"}});
    std::lock_guard lock(mu_);
    SplitServer* s = Find(server);
    if (!s) return NotFound("no server " + server);
    s->state = state;
    return Status::Ok();
  }

 private:
  SplitServer* Find(const std::string& name) {
    auto it = std::find_if(servers_.begin(), servers_.end(), [&](const SplitServer& s) { return s.name == name; });
    return it == servers_.end() ? nullptr : &*it;
  }
  std::mutex mu_;
  std::vector<SplitServer> servers_;
};

class MemoryComputeImpl final : public MemoryCompute {
 public:
  MemoryComputeImpl(int capacity, int quota, std::string url) : url_(std::move(url)) {
    state_.capacity = capacity;
    state_.quota = quota;
  }
  Result<ComputeState> State() override {
    std::lock_guard lock(mu_);
    return state_;
  }
  Result<Deployment> Deploy(const std::string& service, const std::string& key) override {
    std::lock_guard lock(mu_);
    calls_.push_back({"deploy", service, 0, key, !state_.Find(service)});
    if (!state_.Find(service)) state_.services.push_back({service, 0, url_, utilization_});
    return Deployment{service, url_};
  }
  Status Scale(const std::string& service, int instances, const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = std::find_if(state_.services.begin(), state_.services.end(), [&](const ServiceInstances& s) { return s.service == service; });
    if (it == state_.services.end()) return NotFound("service " + service + " is not deployed");
    const int others = state_.used - it->instances;
    if (others + instances > state_.quota) return Status(StatusCode::kResourceExhausted, "over quota");
    if (others + instances > state_.capacity) return Status(StatusCode::kFailedPrecondition, "over capacity");
    calls_.push_back({"scale", service, instances, key, it->instances != instances});
    state_.used = others + instances;
    it->instances = instances;
    return Status::Ok();
  }
  Result<std::vector<Deployment>> ProbeTargets() override {
    std::lock_guard lock(mu_);
    std::vector<Deployment> out;
    for (const auto& s : state_.services) out.push_back({s.service, s.url});
    return out;
  }
  void SetCapacity(int capacity) override {
    std::lock_guard lock(mu_);
    state_.capacity = capacity;
  }
  void SetUtilization(std::optional<double> percent) override {
    std::lock_guard lock(mu_);
    utilization_ = percent;
    for (auto& s : state_.services) s.utilization_percent = percent;
  }
  std::vector<ComputeCall> Calls() const override {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::string url_;
  mutable std::mutex mu_;
  ComputeState state_;
  std::optional<double> utilization_;
  std::vector<ComputeCall> calls_;
};

}  // namespace

std::unique_ptr<DnsSwitch> NewMemoryDnsSwitch(std::string zone) { return std::make_unique<MemoryDnsSwitch>(std::move(zone)); }
std::unique_ptr<TrafficSplit> NewMemoryTrafficSplit(std::vector<std::string> servers) { return std::make_unique<MemoryTrafficSplit>(std::move(servers)); }
std::unique_ptr<MemoryCompute> NewMemoryCompute(int capacity, int quota, std::string url) {
  return std::make_unique<MemoryComputeImpl>(capacity, quota, std::move(url));
}

}  // namespace icb
