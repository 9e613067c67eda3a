#include "adapters/powerdns/powerdns_dns.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "adapters/s3/sigv4.h"
#include "broker/core/network_policy.h"

namespace icb {

using nlohmann::json;

namespace {

// `A "view({ {{'203.0.113.0/24'}, {'192.0.2.7'}}, {{'0.0.0.0/0', '::/0'}, {'192.0.2.1'}} })"`:
// each view's networks and answers, then everyone's. Built only from what
// CheckRecordSet passed, networks in their canonical form, so no text of a
// document reaches the Lua as written.
std::string ViewsContent(const DnsRecordSet& r) {
  auto list = [](const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", '" : "'") + items[i] + "'";
    return out + "}";
  };
  std::string groups;
  for (const auto& v : r.views) {
    std::vector<std::string> networks;
    for (const auto& n : v.networks) networks.push_back(IpNetwork::Parse(n)->ToString());
    groups += "{" + list(networks) + ", " + list(v.contents) + "}, ";
  }
  groups += "{" + list({"0.0.0.0/0", "::/0"}) + ", " + list(r.contents) + "}";
  return r.type + " \"view({" + groups + "})\"";
}

// The views of a LUA record this adapter wrote for `type`; nullopt for any
// other record. A scan, not a regex: libstdc++'s recursion grows with the
// text, and this text is the server's.
std::optional<DnsRecordSet> ParseViews(std::string_view content, const std::string& type) {
  const std::string head = type + " \"view({";
  if (content.substr(0, head.size()) != head) return std::nullopt;
  auto items = [](std::string_view text) {
    std::vector<std::string> out;
    for (size_t at = text.find('\''); at != std::string_view::npos; at = text.find('\'', at)) {
      const size_t end = text.find('\'', at + 1);
      if (end == std::string_view::npos) break;
      out.emplace_back(text.substr(at + 1, end - at - 1));
      at = end + 1;
    }
    return out;
  };
  // Each group: {{NETWORKS}, {ANSWERS}}.
  std::vector<DnsView> groups;
  for (size_t at = content.find("{{", head.size()); at != std::string_view::npos; at = content.find("{{", at)) {
    const size_t networks_end = content.find('}', at + 2);
    if (networks_end == std::string_view::npos) break;
    const size_t answers = content.find('{', networks_end);
    const size_t answers_end = answers == std::string_view::npos ? answers : content.find('}', answers + 1);
    if (answers_end == std::string_view::npos) break;
    groups.push_back({items(content.substr(at + 2, networks_end - at - 2)), items(content.substr(answers + 1, answers_end - answers - 1))});
    at = answers_end + 1;
  }
  if (groups.empty() || groups.back().networks != std::vector<std::string>{"0.0.0.0/0", "::/0"}) return std::nullopt;
  DnsRecordSet out;
  out.type = type;
  out.contents = groups.back().contents;
  groups.pop_back();
  out.views = std::move(groups);
  return out;
}

// A member's text, "" when absent or not text (a server's answer is not trusted to be well formed).
std::string Text(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}

class PowerDnsSwitch final : public DnsSwitch {
 public:
  PowerDnsSwitch(std::string api_url, std::string api_key, std::string zone, RetryPolicy retry, AdapterContext& ctx)
      : api_url_(std::move(api_url)), api_key_(std::move(api_key)), zone_(std::move(zone)), caller_(ctx.http, retry, ctx.sleep) {}

  // Only the name's record sets (rrset_name, PowerDNS 4.7 and later): its
  // plain set and its LUA set, a few hundred bytes, where the whole zone of
  // ten thousand workloads' records is over a megabyte read and parsed on
  // every switch. A server that ignores the filter answers the whole zone,
  // which is read the same way.
  Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) override {
    ICB_ASSIGN_OR_RETURN(auto resp, Send("GET", "", "powerdns read " + name, "?rrset_name=" + UriEncode(name, false)));
    return PowerDnsRecordSetFromZone(resp.body, name, type);
  }

  // A set with views is a LUA record of its type (PowerDNS' view() on the
  // resolver's EDNS Client Subnet; the server needs enable-lua-records and
  // edns-subnet-processing); one without is a plain record set. Either
  // replaces the other in one PATCH, without reading the zone first (a
  // zone of ten thousand workloads' records is megabytes): the name's LUA
  // record set is this adapter's, one type's views per name, as a
  // workload's record is one name of one type.
  Status Replace(const DnsRecordSet& r) override {
    ICB_RETURN_IF_ERROR(CheckRecordSet(r, zone_));
    json rrsets = json::array();
    if (r.views.empty()) {
      json records = json::array();
      for (const auto& c : r.contents) records.push_back({{"content", c}, {"disabled", false}});
      rrsets.push_back({{"name", r.name}, {"type", r.type}, {"ttl", r.ttl}, {"changetype", "REPLACE"}, {"records", records}});
      rrsets.push_back({{"name", r.name}, {"type", "LUA"}, {"changetype", "DELETE"}});
    } else {
      rrsets.push_back({{"name", r.name}, {"type", r.type}, {"changetype", "DELETE"}});
      rrsets.push_back({{"name", r.name}, {"type", "LUA"}, {"ttl", r.ttl}, {"changetype", "REPLACE"},
                        {"records", {{{"content", ViewsContent(r)}, {"disabled", false}}}}});
    }
    return Send("PATCH", json{{"rrsets", rrsets}}.dump(), "powerdns replace " + r.name + " " + r.type).status();
  }

  Status Delete(const std::string& name, const std::string& type) override {
    json rrsets = {{{"name", name}, {"type", type}, {"changetype", "DELETE"}}, {{"name", name}, {"type", "LUA"}, {"changetype", "DELETE"}}};
    return Send("PATCH", json{{"rrsets", rrsets}}.dump(), "powerdns delete " + name + " " + type).status();
  }

  bool AnswersByClientNetwork() const override { return true; }

 private:
  Result<HttpClientResponse> Send(const std::string& method, const std::string& body, const std::string& what, const std::string& query = "") {
    return caller_.Call(what, [&] {
      HttpClientRequest req;
      req.method = method;
      req.url = api_url_ + "/zones/" + UriEncode(zone_, false) + query;
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

Result<std::optional<DnsRecordSet>> PowerDnsRecordSetFromZone(std::string_view zone_document, const std::string& name, const std::string& type) {
  const json zone = json::parse(zone_document, nullptr, false);
  if (zone.is_discarded() || !zone.is_object() || !zone.contains("rrsets") || !zone["rrsets"].is_array())
    return Unavailable("powerdns zone: not a zone document");
  auto ttl = [](const json& rr) { return rr.contains("ttl") && rr["ttl"].is_number_integer() ? rr["ttl"].get<int>() : 0; };
  std::optional<DnsRecordSet> views;
  for (const auto& rr : zone["rrsets"]) {
    if (Text(rr, "name") != name || !rr.contains("records") || !rr["records"].is_array()) continue;
    if (Text(rr, "type") == type) {
      DnsRecordSet out{name, type, ttl(rr), {}, {}};
      for (const auto& rec : rr["records"])
        if (!(rec.is_object() && rec.contains("disabled") && rec["disabled"] == true)) out.contents.push_back(Text(rec, "content"));
      return std::optional<DnsRecordSet>(std::move(out));
    }
    if (Text(rr, "type") == "LUA")
      for (const auto& rec : rr["records"])
        if (auto parsed = ParseViews(Text(rec, "content"), type)) {
          parsed->name = name;
          parsed->ttl = ttl(rr);
          views = std::move(parsed);
        }
  }
  return views;
}

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
