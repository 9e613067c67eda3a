#include "broker/orchestrator/state/workload_claims.h"

#include "broker/auth/tenant_space.h"

namespace icb {

namespace {

// The holder as stored: a space's prefix ("" for the default tenant's)
// behind a marker, so no holder is an empty value.
std::string HolderOf(const Workload& w) { return "space:" + TenantSpace::Of(w.id).prefix(); }

std::string AbsoluteName(std::string name) {
  if (name.empty() || name.back() != '.') name += '.';
  return name;
}

bool Overlap(std::string_view a, std::string_view b) { return a.substr(0, b.size()) == b || b.substr(0, a.size()) == a; }

}  // namespace

std::vector<NameClaim> ClaimsOf(const Workload& w) {
  std::vector<NameClaim> out;
  const std::string key(kClaimsKey);
  out.push_back({key, "service:" + w.service, "/service"});
  out.push_back({key, "dns:" + w.dns.provider + ":" + AbsoluteName(w.dns.name), "/dns/name"});
  if (w.split) {
    for (const auto& [provider, server] : w.split->servers)
      out.push_back({key, "split:" + w.split->provider + ":" + server, "/split/servers/" + provider});
  }
  for (size_t i = 0; i < w.data.size(); ++i) out.push_back({std::string(kDataClaimsKey), w.data[i].prefix, "/data/" + std::to_string(i) + "/prefix"});
  return out;
}

Status HoldNames(Store& store, const Workload& w) {
  const std::string holder = HolderOf(w);
  const std::vector<NameClaim> claims = ClaimsOf(w);
  WriteBatch take;
  for (const auto& c : claims) take.HashSetIfAbsent(c.key, c.name, holder);
  ICB_ASSIGN_OR_RETURN(auto taken, store.Apply(take));
  // Then who holds each (another tenant may have come first, also at the
  // same moment: both then see the other and neither keeps its names).
  std::vector<FieldError> refused;
  std::vector<std::string> names;
  for (const auto& c : claims)
    if (c.key == kClaimsKey) names.push_back(c.name);
  ICB_ASSIGN_OR_RETURN(auto holders, store.HashGetMany(kClaimsKey, names));
  size_t n = 0;
  for (const auto& c : claims) {
    if (c.key != kClaimsKey) continue;
    const auto& h = holders[n++];
    if (h && *h != holder) refused.push_back({c.pointer, c.name.substr(0, c.name.find(':')) + " name is another tenant's"});
  }
  bool data = false;
  for (const auto& c : claims) data = data || c.key == kDataClaimsKey;
  if (data) {
    ICB_ASSIGN_OR_RETURN(auto held, store.HashGetAll(kDataClaimsKey));
    for (const auto& c : claims) {
      if (c.key != kDataClaimsKey) continue;
      for (const auto& [prefix, by] : held) {
        if (by == holder || !Overlap(prefix, c.name)) continue;
        refused.push_back({c.pointer, "the prefix overlaps another tenant's data"});
        break;
      }
    }
  }
  if (refused.empty()) return Status::Ok();
  WriteBatch give_back;
  for (size_t i = 0; i < claims.size(); ++i)
    if (taken[i] == 1) give_back.HashDelete(claims[i].key, claims[i].name);
  if (!give_back.ops().empty()) ICB_RETURN_IF_ERROR(store.Apply(give_back).status());
  return Status(StatusCode::kFailedPrecondition, "names held by another tenant", std::move(refused));
}

}  // namespace icb
