#include "broker/orchestrator/providers/read_only_adapters.h"

namespace icb {

namespace {

Status Refused(const std::string& what) { return FailedPrecondition("read-only adapters (a drill): " + what + " refused"); }

class ReadOnlyCompute final : public ComputeProvider {
 public:
  ReadOnlyCompute(std::unique_ptr<ComputeProvider> inner, std::atomic<long long>& refused) : inner_(std::move(inner)), refused_(refused) {}
  Result<ComputeState> State() override { return inner_->State(); }
  Result<Deployment> Deploy(const std::string& service, const std::string&) override {
    ++refused_;
    return Refused("deploy of " + service);
  }
  Status Scale(const std::string& service, int, const std::string&) override {
    ++refused_;
    return Refused("scale of " + service);
  }
  Result<std::vector<Deployment>> ProbeTargets() override { return inner_->ProbeTargets(); }

 private:
  std::unique_ptr<ComputeProvider> inner_;
  std::atomic<long long>& refused_;
};

}  // namespace

Result<std::unique_ptr<ComputeProvider>> ReadOnlyAdapters::Compute(const std::string& provider) {
  ICB_ASSIGN_OR_RETURN(auto compute, inner_.Compute(provider));
  return std::unique_ptr<ComputeProvider>(new ReadOnlyCompute(std::move(compute), refused_));
}

Result<std::unique_ptr<DnsSwitch>> ReadOnlyAdapters::Dns(const std::string& provider) {
  ++refused_;
  return Refused("DNS of " + provider);
}

Result<std::unique_ptr<ObjectStore>> ReadOnlyAdapters::Objects(const std::string& provider) {
  ++refused_;
  return Refused("object storage of " + provider);
}

Result<std::unique_ptr<TrafficSplit>> ReadOnlyAdapters::Split(const std::string& provider) {
  ++refused_;
  return Refused("traffic split of " + provider);
}

}  // namespace icb
