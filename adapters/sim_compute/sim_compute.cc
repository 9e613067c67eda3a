#include "adapters/sim_compute/sim_compute.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "broker/core/call_epoch.h"

namespace icb {

using nlohmann::json;

namespace {

class SimCompute final : public ComputeProvider {
 public:
  SimCompute(std::string url, RetryPolicy retry, AdapterContext& ctx) : url_(std::move(url)), caller_(ctx.http, retry, ctx.sleep) {}

  Result<ComputeState> State() override {
    ICB_ASSIGN_OR_RETURN(auto resp, caller_.Call("compute state", [&] { return HttpClientRequest{"GET", url_ + "/v1/state", {}, "", Millis(0)}; }));
    json s = json::parse(resp.body, nullptr, false);
    if (s.is_discarded() || !s.is_object()) return Unavailable("compute state: not a JSON object");
    try {
      ComputeState out{s.value("capacity", 0), s.value("quota", 0), s.value("used", 0), {}};
      for (const auto& svc : s.value("services", json::array())) {
        std::optional<double> utilization;
        if (svc.contains("utilization") && svc["utilization"].is_number()) utilization = svc["utilization"].get<double>();
        out.services.push_back({svc.at("service").get<std::string>(), svc.at("instances").get<int>(), svc.value("url", ""), utilization});
      }
      return out;
    } catch (const json::exception&) {
      return Unavailable("compute state: not a state document");
    }
  }

  Result<Deployment> Deploy(const std::string& service, const std::string& key) override {
    std::string body = json{{"service", service}}.dump();
    ICB_ASSIGN_OR_RETURN(auto resp, caller_.Call("compute deploy " + service, [&] {
      return HttpClientRequest{"POST", url_ + "/v1/deploy", Headers(key), body, Millis(0)};
    }));
    json d = json::parse(resp.body, nullptr, false);
    if (d.is_discarded() || !d.contains("url") || !d["url"].is_string()) return Unavailable("compute deploy " + service + ": no url in the answer");
    Deployment out{d.value("service", service), d["url"].get<std::string>()};
    if (auto it = d.find("instances"); it != d.end() && it->is_number_integer() && it->get<long long>() >= 0 && it->get<long long>() <= std::numeric_limits<int>::max())
      out.instances = it->get<int>();
    return out;
  }

  Status Scale(const std::string& service, int instances, const std::string& key) override {
    std::string body = json{{"service", service}, {"instances", instances}}.dump();
    const std::string what = "compute scale " + service + " to " + std::to_string(instances);
    // 429, 409, 404 and 412 are answers about the request (quota,
    // capacity, no such service, a stale epoch), not overload: taken as
    // they are, not retried.
    auto resp = caller_.Call(
        what, [&] { return HttpClientRequest{"POST", url_ + "/v1/scale", Headers(key), body, Millis(0)}; },
        [](int s) { return s == 429 || s == 409 || s == 404 || s == 412; });
    if (!resp.ok()) return resp.status();
    if (resp->status == 429) return Status(StatusCode::kResourceExhausted, what + ": over quota");
    if (resp->status == 409) return Status(StatusCode::kFailedPrecondition, what + ": over capacity");
    if (resp->status == 412) return Status(StatusCode::kFailedPrecondition, what + ": refused, a newer leader's epoch came first (fenced)");
    if (resp->status == 404) return NotFound(what + ": not deployed");
    return Status::Ok();
  }

  Result<std::vector<Deployment>> ProbeTargets() override {
    ICB_ASSIGN_OR_RETURN(auto resp, caller_.Call("compute services", [&] { return HttpClientRequest{"GET", url_ + "/v1/services", {}, "", Millis(0)}; }));
    json d = json::parse(resp.body, nullptr, false);
    if (d.is_discarded() || !d.contains("services")) return Unavailable("compute services: not a services document");
    std::vector<Deployment> out;
    for (const auto& s : d["services"]) out.push_back({s.value("service", ""), s.value("url", "")});
    return out;
  }

 private:
  static std::vector<std::pair<std::string, std::string>> Headers(const std::string& key) {
    std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "application/json"}};
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    // The lease epoch the call is made under (the lab's simulators refuse
    // one older than the newest they saw).
    if (CallEpoch::Current() > 0) h.emplace_back("Fencing-Epoch", std::to_string(CallEpoch::Current()));
    return h;
  }

  std::string url_;
  HttpCaller caller_;
};

}  // namespace

Result<std::unique_ptr<ComputeProvider>> NewSimCompute(const json& c, AdapterContext& ctx) {
  std::string url = c.at("url").get<std::string>();
  while (!url.empty() && url.back() == '/') url.pop_back();
  RetryPolicy retry;
  if (c.contains("timeout_s")) retry.timeout = Millis(static_cast<long long>(c["timeout_s"].get<double>() * 1000));
  if (c.contains("attempts")) retry.attempts = c["attempts"].get<int>();
  return std::unique_ptr<ComputeProvider>(std::make_unique<SimCompute>(url, retry, ctx));
}

}  // namespace icb
