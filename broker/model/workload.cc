#include "broker/model/workload.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

// "10.1.2.3/8": a typo for 10.0.0.0/8 or for 10.1.2.3/32; refused rather than guessed.
bool HasHostBits(const IpNetwork& n) {
  const int bits = n.base.v6 ? 128 : 32;
  for (int bit = n.prefix; bit < bits; ++bit)
    if (n.base.bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
  return false;
}

}  // namespace

Result<Workload> WorkloadFromJson(const json& doc) {
  Workload w;
  w.id = doc.value("id", "");
  w.name = doc.at("name").get<std::string>();
  w.priority = doc.at("priority").get<int>();
  w.recovery_class = doc.value("recovery_class", "fast") == "quality" ? RecoveryClass::kQuality : RecoveryClass::kFast;
  if (doc.contains("profile_id")) w.profile_id = doc["profile_id"].get<std::string>();
  if (doc.contains("profile")) {
    auto p = ProfileFromJson(doc["profile"]);
    if (!p.ok()) {
      std::vector<FieldError> errors;
      for (const auto& e : p.status().errors()) errors.push_back({"/profile" + e.pointer, e.message});
      return Status(p.status().code(), p.status().message(), std::move(errors));
    }
    w.profile = std::make_shared<const Profile>(std::move(*p));
  }
  if (doc.contains("candidates")) w.candidates = doc["candidates"].get<std::vector<std::string>>();
  w.placement = doc.at("placement").at("provider").get<std::string>();
  if (doc["placement"].contains("since")) {
    auto t = ParseRfc3339(doc["placement"]["since"].get<std::string>());
    if (!t) return InvalidArgument("invalid workload", {{"/placement/since", "not an RFC 3339 date-time"}});
    w.placed_since = *t;
  }
  w.service = doc.at("service").get<std::string>();
  w.instances = doc.at("instances").get<int>();
  const json& dns = doc.at("dns");
  w.dns = {dns.at("provider").get<std::string>(), dns.at("name").get<std::string>(), dns.value("ttl", 30)};
  if (doc.contains("split")) {
    Workload::Split split;
    split.provider = doc["split"]["provider"].get<std::string>();
    for (const auto& [provider, server] : doc["split"]["servers"].items()) split.servers[provider] = server.get<std::string>();
    w.split = std::move(split);
  }
  if (doc.contains("data"))
    for (const auto& d : doc["data"]) w.data.push_back({d.at("name").get<std::string>(), d.at("prefix").get<std::string>()});
  if (doc.contains("rto_s")) w.rto_s = doc["rto_s"].get<double>();
  if (doc.contains("rpo_s")) w.rpo_s = doc["rpo_s"].get<double>();
  if (doc.contains("failover")) {
    const json& f = doc["failover"];
    w.failover.automatic = f.value("automatic", true);
    if (f.contains("interval_s")) w.failover.interval = Millis(static_cast<long long>(std::llround(f["interval_s"].get<double>() * 1000)));
    w.failover.failures = f.value("failures", 3);
    w.failover.recoveries = f.value("recoveries", 2);
    if (f.contains("quorum")) w.failover.quorum = f["quorum"].get<int>();
  }
  if (doc.contains("replication")) {
    Workload::Replication r;
    r.to = doc["replication"]["to"].get<std::string>();
    if (doc["replication"].contains("interval_s")) r.interval_s = doc["replication"]["interval_s"].get<double>();
    w.replication = std::move(r);
  }
  if (doc.contains("burst")) {
    const json& b = doc["burst"];
    Workload::Burst burst;
    if (b.contains("p95_ms_above")) burst.p95_ms_above = b["p95_ms_above"].get<double>();
    if (b.contains("utilization_above")) burst.utilization_above = b["utilization_above"].get<double>();
    burst.window_s = b.value("window_s", burst.window_s);
    burst.share_percent = b.value("share_percent", burst.share_percent);
    burst.cooldown_s = b.value("cooldown_s", burst.cooldown_s);
    w.burst = burst;
  }
  if (doc.contains("audiences")) {
    std::vector<FieldError> errors;
    const json& audiences = doc["audiences"];
    for (size_t i = 0; i < audiences.size(); ++i) {
      const json& a = audiences[i];
      const std::string at = "/audiences/" + std::to_string(i);
      Workload::Audience audience;
      audience.id = a.at("id").get<std::string>();
      for (size_t j = 0; j < i; ++j)
        if (w.audiences[j].id == audience.id) errors.push_back({at + "/id", "audience \"" + audience.id + "\" is declared twice"});
      const json& networks = a.at("networks");
      for (size_t n = 0; n < networks.size(); ++n) {
        const std::string text = networks[n].get<std::string>();
        auto network = IpNetwork::Parse(text);
        const std::string pointer = at + "/networks/" + std::to_string(n);
        if (!network) {
          errors.push_back({pointer, "\"" + text + "\" is not a network (a CIDR such as 203.0.113.0/24 or 2001:db8::/32)"});
          continue;
        }
        if (HasHostBits(*network)) {
          errors.push_back({pointer, "\"" + text + "\" has bits set beyond its /" + std::to_string(network->prefix) + " prefix"});
          continue;
        }
        // A client has one answer: no network is in two audiences.
        auto overlap = [&](const IpNetwork& other, const std::string& whose) {
          if (other.Contains(network->base) || network->Contains(other.base))
            errors.push_back({pointer, text + " overlaps " + other.ToString() + " of " + whose});
        };
        for (const auto& earlier : w.audiences)
          for (const auto& other : earlier.networks) overlap(other, "audience \"" + earlier.id + "\"");
        for (const auto& other : audience.networks) overlap(other, "this audience");
        audience.networks.push_back(*network);
      }
      audience.vantage = a.at("vantage").get<std::string>();
      audience.p95_ms = a.at("p95_ms").get<double>();
      audience.window_s = a.value("window_s", audience.window_s);
      audience.cooldown_s = a.value("cooldown_s", audience.cooldown_s);
      if (a.contains("candidates")) audience.candidates = a["candidates"].get<std::vector<std::string>>();
      w.audiences.push_back(std::move(audience));
    }
    if (!errors.empty()) return InvalidArgument("invalid audiences", std::move(errors));
  }
  return w;
}

}  // namespace icb
