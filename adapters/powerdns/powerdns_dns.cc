#include "adapters/powerdns/powerdns_dns.h"

#include <arpa/inet.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "adapters/s3/sigv4.h"

namespace icb {

using nlohmann::json;

Status CheckRecordSet(const DnsRecordSet& r, const std::string& zone) {
  auto bad = [](const std::string& pointer, const std::string& why) { return InvalidArgument("invalid record set", {{pointer, why}}); };
  if (r.type != "A" && r.type != "AAAA" && r.type != "CNAME") return bad("/type", "type must be A, AAAA or CNAME, got " + r.type);
  if (r.name.empty() || r.name.back() != '.') return bad("/name", "name must be absolute (end with a dot): " + r.name);
  if (r.name != zone && (r.name.size() <= zone.size() || r.name.compare(r.name.size() - zone.size() - 1, std::string::npos, "." + zone) != 0)) {
    return bad("/name", r.name + " is not inside the zone " + zone);
  }
  if (r.ttl < 1 || r.ttl > 86400) return bad("/ttl", "ttl must be 1 to 86400 seconds");
  if (r.contents.empty()) return bad("/contents", "at least one record");
  if (r.type == "CNAME" && r.contents.size() != 1) return bad("/contents", "a CNAME has exactly one target");
  for (size_t i = 0; i < r.contents.size(); ++i) {
    const std::string& c = r.contents[i];
    unsigned char buf[16];
    bool ok = r.type == "A" ? inet_pton(AF_INET, c.c_str(), buf) == 1 : r.type == "AAAA" ? inet_pton(AF_INET6, c.c_str(), buf) == 1 : !c.empty() && c.back() == '.';
    if (!ok) return bad("/contents/" + std::to_string(i), "not a valid " + r.type + " record: " + c);
  }
  return Status::Ok();
}

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
