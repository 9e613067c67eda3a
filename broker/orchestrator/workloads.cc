#include "broker/orchestrator/workloads.h"

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
  if (w.replication && w.replication->to != "auto") provider(w.replication->to, "/replication/to", "object_storage", "a replica");
  if (!unknown.empty()) {
    const size_t n = unknown.size();
    return Status(StatusCode::kNotFound, CountedErrors(n, n, "unknown reference", "unknown references"), std::move(unknown));
  }
  if (!unfit.empty()) {
    const size_t n = unfit.size();
    return InvalidArgument(CountedErrors(n, n, "provider without the adapter its role needs", "providers without the adapters their roles need"),
                           std::move(unfit));
  }
  return Status::Ok();
}

Result<PutResult> WorkloadCatalog::Put(std::string_view id, json doc) {
  if (doc.is_object())
    for (const char* field : kWorkloadReadOnly) doc.erase(field);
  // Schema and typed form first (the catalog's door), so the references are
  // read from a document known to be well formed.
  json probe = doc;
  if (probe.is_object() && !probe.contains("id")) probe["id"] = std::string(id);
  ICB_RETURN_IF_ERROR(CheckDocument(catalog_.schemas(), "workload.json", probe));
  ICB_ASSIGN_OR_RETURN(Workload w, WorkloadFromJson(probe));
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  ICB_RETURN_IF_ERROR(CheckWorkloadReferences(*snapshot, w));
  auto stored = catalog_.Get(Collection::kWorkloads, id);
  if (stored.ok()) {
    ICB_ASSIGN_OR_RETURN(json before, ParseJson(*stored));
    const std::string was = before["placement"]["provider"].get<std::string>();
    if (was != w.placement) {
      return Status(StatusCode::kFailedPrecondition, "placement changes through an operation",
                    {{"/placement/provider", "runs on " + was + "; move it with POST /v1/workloads/" + std::string(id) +
                                                 "/failover {\"to\": \"" + w.placement + "\"} rather than by editing placement"}});
    }
    doc["placement"]["since"] = before["placement"].value("since", FormatRfc3339(clock_.Now()));
    doc["state"] = before.value("state", "running");
  } else if (stored.status().code() == StatusCode::kNotFound) {
    doc["placement"]["since"] = FormatRfc3339(clock_.Now());
    doc["state"] = "running";
  } else {
    return stored.status();
  }
  return catalog_.Put(Collection::kWorkloads, id, doc);
}

}  // namespace icb
