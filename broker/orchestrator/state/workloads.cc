#include "broker/orchestrator/state/workloads.h"

#include "broker/orchestrator/state/audiences.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/workload_claims.h"

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

Status CheckWorkloadReferences(const CatalogSnapshot& catalog, const Workload& w) {
  std::vector<FieldError> unknown, unfit;
  auto provider = [&](const std::string& id, const std::string& pointer, const char* capability, const char* role) {
    const ProviderEntry* e = catalog.FindProvider(id);
    if (!e) {
      unknown.push_back({pointer, "no provider \"" + id + "\""});
      return;
    }
    if (capability && !e->provider.adapters.count(capability))
      unfit.push_back({pointer, "provider " + id + " has no " + capability + " adapter, which " + role + " needs"});
  };
  if (!w.profile_id.empty() && !catalog.FindProfile(w.profile_id)) unknown.push_back({"/profile_id", "no profile \"" + w.profile_id + "\""});
  provider(w.placement, "/placement/provider", "compute", "the placement");
  if (!w.data.empty()) provider(w.placement, "/placement/provider", "object_storage", "its data");
  for (size_t i = 0; i < w.candidates.size(); ++i) provider(w.candidates[i], "/candidates/" + std::to_string(i), nullptr, "");
  provider(w.dns.provider, "/dns/provider", "dns", "its DNS record");
  if (w.split) {
    provider(w.split->provider, "/split/provider", "traffic_split", "its traffic split");
    for (const auto& [id, server] : w.split->servers) provider(id, JsonPointerAppend("/split/servers", id), nullptr, "");
  }
  for (size_t i = 0; i < w.audiences.size(); ++i)
    for (size_t j = 0; j < w.audiences[i].candidates.size(); ++j)
      provider(w.audiences[i].candidates[j], "/audiences/" + std::to_string(i) + "/candidates/" + std::to_string(j), "compute", "serving an audience");
  if (w.replication && w.replication->to != "auto") provider(w.replication->to, "/replication/to", "object_storage", "a replica");
  // Burst offload moves a share of the split: it needs one, with a server
  // for the placement and at least one for a secondary.
  std::vector<FieldError> burst;
  if (w.burst) {
    if (!w.split) burst.push_back({"/burst", "burst offload needs a split (the load balancer whose weights it sets)"});
    else if (!w.split->servers.count(w.placement))
      burst.push_back({"/split/servers", "names no server for the placement " + w.placement + ", which burst offload keeps serving"});
    else if (w.split->servers.size() < 2)
      burst.push_back({"/split/servers", "names no server for a secondary to burst to"});
  }
  if (!unknown.empty()) {
    const size_t n = unknown.size();
    return Status(StatusCode::kNotFound, CountedErrors(n, n, "unknown reference", "unknown references"), std::move(unknown));
  }
  if (!unfit.empty()) {
    const size_t n = unfit.size();
    return InvalidArgument(CountedErrors(n, n, "provider without the adapter its role needs", "providers without the adapters their roles need"),
                           std::move(unfit));
  }
  if (!burst.empty()) return InvalidArgument("burst offload without a split it can set", std::move(burst));
  return Status::Ok();
}

namespace {

std::string StatusKey(std::string_view workload) { return "icb:workload:" + std::string(workload) + ":status"; }

}  // namespace

json WorkloadStatusToJson(const WorkloadStatus& s) {
  json d = {{"placement", s.placement}, {"url", s.url}, {"state", s.state}, {"operation", s.operation}, {"placed_digest", s.placed_digest}, {"drained", s.drained}};
  if (s.since) d["since"] = FormatRfc3339(*s.since);
  if (!s.audience_placements.empty()) {
    json& away = d["audience_placements"] = json::object();
    for (const auto& [id, a] : s.audience_placements)
      away[id] = {{"provider", a.provider}, {"url", a.url}, {"since", OptionalTimeJson(a.since)}, {"instances_before", a.instances_before},
                  {"operation", a.operation}};
  }
  return d;
}

namespace {

Result<WorkloadStatus> WorkloadStatusFromJson(const json& d) {
  WorkloadStatus s;
  s.placement = d.at("placement").get<std::string>();
  s.url = d.value("url", "");
  s.state = d.value("state", "running");
  s.operation = d.value("operation", "");
  s.placed_digest = d.value("placed_digest", "");
  s.drained = d.value("drained", std::vector<std::string>());
  if (d.contains("since")) s.since = ParseRfc3339(d["since"].get<std::string>());
  if (auto away = d.find("audience_placements"); away != d.end())
    for (const auto& [id, a] : away->items())
      s.audience_placements[id] = {a.value("provider", ""), a.value("url", ""), OptionalTimeFrom(a, "since"), a.value("instances_before", 0),
                                   a.value("operation", "")};
  return s;
}

}  // namespace

const RecordCodec<WorkloadStatus> kWorkloadStatusRecord{"workload", StatusKey, WorkloadStatusToJson, WorkloadStatusFromJson};

std::string SpecDigest(const json& doc) {
  json spec = doc;
  for (const char* field : kWorkloadReadOnly) spec.erase(field);
  if (spec.contains("placement") && spec["placement"].is_object()) spec["placement"].erase("since");
  // FNV-1a over the canonical text (object keys sorted): stable across
  // brokers and restarts, which std::hash is not required to be.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : spec.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

json WorkloadCatalog::WithStatus(json doc, const std::optional<WorkloadStatus>& status, const std::optional<ReplicaRecord>& replica) const {
  if (!status) {
    doc["state"] = "running";
    return doc;
  }
  doc["placement"]["provider"] = status->placement;
  if (status->since) doc["placement"]["since"] = FormatRfc3339(*status->since);
  doc["state"] = status->state;
  if (!status->operation.empty()) doc["operation"] = status->operation;
  else doc.erase("operation");
  // The audiences served away from the placement (wire: {provider, since}).
  doc.erase("audience_placements");
  if (!status->audience_placements.empty()) {
    json& away = doc["audience_placements"] = json::object();
    for (const auto& [id, a] : status->audience_placements)
      away[id] = {{"provider", a.provider}, {"since", a.since ? json(FormatRfc3339(*a.since)) : json(nullptr)}};
  }
  // Where its warm copy is, and how far behind (replication.h).
  json shown = ReplicaToJson(replica, clock_.Now());
  if (shown.is_object()) doc["replica"] = std::move(shown);
  else doc.erase("replica");
  return doc;
}

Result<PutResult> WorkloadCatalog::Put(std::string_view id, json doc) {
  if (doc.is_object())
    for (const char* field : kWorkloadReadOnly) doc.erase(field);
  // Schema and typed form first (the catalog's door), so the references are
  // read from a document known to be well formed.
  // As the tenant wrote it (its own ids), then in its space (tenant_space.h).
  const TenantSpace space = TenantSpace::Of(id);
  json probe = doc;
  if (probe.is_object() && !probe.contains("id")) probe["id"] = std::string(id.substr(space.prefix().size()));
  ICB_RETURN_IF_ERROR(CheckDocument(catalog_.schemas(), "workload.json", probe));
  ICB_ASSIGN_OR_RETURN(Workload w, WorkloadFromJson(ScopeDocument(Collection::kWorkloads, space, std::move(probe))));
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  ICB_RETURN_IF_ERROR(CheckWorkloadReferences(*snapshot, w));
  ICB_RETURN_IF_ERROR(HoldNames(store_, w));
  ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(store_, id));
  auto stored = catalog_.Get(Collection::kWorkloads, id);
  if (!stored.ok() && stored.status().code() != StatusCode::kNotFound) return stored.status();
  std::string runs_on = status ? status->placement : "";
  std::optional<json> before;
  if (stored.ok()) {
    ICB_ASSIGN_OR_RETURN(json b, ParseJson(*stored));
    if (runs_on.empty()) runs_on = b["placement"]["provider"].get<std::string>();
    before = std::move(b);
  }
  if (!runs_on.empty() && runs_on != w.placement) {
    return Status(StatusCode::kFailedPrecondition, "placement changes through an operation",
                  {{"/placement/provider", "runs on " + runs_on + "; move it with POST /v1/workloads/" + std::string(id) +
                                               "/failover {\"to\": \"" + w.placement + "\"} rather than by editing placement"}});
  }
  doc["placement"]["since"] = before ? before->at("placement").value("since", FormatRfc3339(clock_.Now())) : FormatRfc3339(clock_.Now());
  ICB_ASSIGN_OR_RETURN(PutResult put, catalog_.Put(Collection::kWorkloads, id, doc));
  ICB_ASSIGN_OR_RETURN(auto shown, WithStatuses({put.document}));
  put.document = std::move(shown.front());
  return put;
}

Result<std::string> WorkloadCatalog::Get(std::string_view id) {
  ICB_ASSIGN_OR_RETURN(std::string text, catalog_.Get(Collection::kWorkloads, id));
  ICB_ASSIGN_OR_RETURN(auto shown, WithStatuses({std::move(text)}));
  return std::move(shown.front());
}

Result<std::vector<std::string>> WorkloadCatalog::WithStatuses(std::vector<std::string> texts) const {
  std::vector<json> docs;
  std::vector<std::string> ids;
  for (auto& text : texts) {
    ICB_ASSIGN_OR_RETURN(json doc, ParseJson(text));
    ids.push_back(doc.value("id", ""));
    docs.push_back(std::move(doc));
  }
  ICB_ASSIGN_OR_RETURN(auto statuses, GetRecords(store_, kWorkloadStatusRecord, ids));
  ICB_ASSIGN_OR_RETURN(auto replicas, GetRecords(store_, kReplicaRecord, ids));
  std::vector<std::string> out;
  out.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) out.push_back(WithStatus(std::move(docs[i]), statuses[i], replicas[i]).dump());
  return out;
}

Result<std::vector<std::string>> WorkloadCatalog::List() {
  ICB_ASSIGN_OR_RETURN(auto texts, catalog_.List(Collection::kWorkloads));
  return WithStatuses(std::move(texts));
}

Result<Catalog::Page> WorkloadCatalog::ListPage(std::string_view after, size_t limit, const TenantSpace& space) {
  ICB_ASSIGN_OR_RETURN(Catalog::Page page, catalog_.ListPage(Collection::kWorkloads, after, limit, space));
  ICB_ASSIGN_OR_RETURN(page.documents, WithStatuses(std::move(page.documents)));
  return page;
}

Status WorkloadCatalog::Delete(std::string_view id) {
  ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(store_, id));
  if (status && !status->operation.empty()) {
    return Status(StatusCode::kFailedPrecondition, "an operation is running for workload " + std::string(id),
                  {{"", "operation " + status->operation + " is running; cancel it (POST /v1/operations/" + status->operation +
                            "/cancel) or wait for it to end"}});
  }
  ICB_RETURN_IF_ERROR(catalog_.Delete(Collection::kWorkloads, id));
  if (status) ICB_RETURN_IF_ERROR(store_.CompareAndSet(WorkloadStatusDelete(id, *status)).status());
  // Its audiences' cooldowns and borrowed capacity are not a later workload's of the same id.
  ICB_ASSIGN_OR_RETURN(auto audiences, GetAudiences(store_, id));
  if (audiences) ICB_RETURN_IF_ERROR(store_.CompareAndSet(RecordDelete(kAudienceRecord, id, *audiences)).status());
  return Status::Ok();
}

}  // namespace icb
