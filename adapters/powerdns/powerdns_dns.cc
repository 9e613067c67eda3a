#include "adapters/powerdns/powerdns_dns.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "adapters/s3/sigv4.h"

namespace icb {

using nlohmann::json;

namespace {

class PowerDnsSwitch final : public DnsSwitch {
 public:
  PowerDnsSwitch(std::string api_url, std::string api_key, std::string zone, RetryPolicy retry, AdapterContext& ctx)
      : api_url_(std::move(api_url)), api_key_(std::move(api_key)), zone_(std::move(zone)), caller_(ctx.http, retry, ctx.sleep) {}

  Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) override {
    ICB_ASSIGN_OR_RETURN(auto resp, Send("GET", "", "powerdns read zone " + zone_));
    json doc = json::parse(resp.body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("rrsets")) return Unavailable("powerdns read zone " + zone_ + ": not a zone document");
    for (const auto& rr : doc["rrsets"]) {
      if (rr.value("name", "") != name || rr.value("type", "") != type) continue;
      DnsRecordSet out{name, type, rr.value("ttl", 0), {}};
      for (const auto& rec : rr["records"])
        if (!rec.value("disabled", false)) out.contents.push_back(rec.value("content", ""));
      return std::optional<DnsRecordSet>(std::move(out));
    }
    return std::optional<DnsRecordSet>();
  }

  Status Replace(const DnsRecordSet& r) override {
    ICB_RETURN_IF_ERROR(CheckRecordSet(r, zone_));
    json records = json::array();
    for (const auto& c : r.contents) records.push_back({{"content", c}, {"disabled", false}});
    json patch = {{"rrsets", {{{"name", r.name}, {"type", r.type}, {"ttl", r.ttl}, {"changetype", "REPLACE"}, {"records", records}}}}};
    return Send("PATCH", patch.dump(), "powerdns replace " + r.name + " " + r.type).status();
  }

  Status Delete(const std::string& name, const std::string& type) override {
    json patch = {{"rrsets", {{{"name", name}, {"type", type}, {"changetype", "DELETE"}}}}};
    return Send("PATCH", patch.dump(), "powerdns delete " + name + " " + type).status();
  }

 private:
  Result<HttpClientResponse> Send(const std::string& method, const std::string& body, const std::string& what) {
    return caller_.Call(what, [&] {
      HttpClientRequest req;
      req.method = method;
      req.url = api_url_ + "/zones/" + UriEncode(zone_, false);
      req.headers = {{"X-API-Key", api_key_}, {"Accept", "application/json"}};
      if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
      req.body = body;
      return req;
    });
  }

  std::string api_url_, api_key_, zone_;
  HttpCaller caller_;
};

}  // namespace

Result<std::unique_ptr<DnsSwitch>> NewPowerDnsSwitch(const json& c, AdapterContext& ctx) {
  std::string url = c.at("api_url").get<std::string>();
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::string zone = c.at("zone").get<std::string>();
  RetryPolicy retry;
  if (c.contains("timeout_s")) retry.timeout = Millis(static_cast<long long>(c["timeout_s"].get<double>() * 1000));
  if (c.contains("attempts")) retry.attempts = c["attempts"].get<int>();
  return std::unique_ptr<DnsSwitch>(std::make_unique<PowerDnsSwitch>(url, c.at("api_key").get<std::string>(), zone, retry, ctx));
}

}  // namespace icb
