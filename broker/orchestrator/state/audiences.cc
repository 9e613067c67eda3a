#include "broker/orchestrator/state/audiences.h"

namespace icb {

using nlohmann::json;

namespace {

std::string AudienceRecordKey(std::string_view workload) { return "icb:workload:" + std::string(workload) + ":audiences"; }

json AudienceRecordToJson(const AudienceRecord& r) {
  json out = json::object();
  for (const auto& [id, t] : r.audiences)
    out[id] = {{"calm_since", OptionalTimeJson(t.calm_since)}, {"not_before", OptionalTimeJson(t.not_before)},
               {"borrowed_at", t.borrowed_at}, {"instances_before", t.instances_before}};
  return {{"audiences", std::move(out)}};
}

Result<AudienceRecord> AudienceRecordFromJson(const json& j) {
  AudienceRecord r;
  if (auto a = j.find("audiences"); a != j.end() && a->is_object())
    for (const auto& [id, t] : a->items())
      r.audiences[id] = {OptionalTimeFrom(t, "calm_since"), OptionalTimeFrom(t, "not_before"), t.value("borrowed_at", ""), t.value("instances_before", 0)};
  return r;
}

}  // namespace

const RecordCodec<AudienceRecord> kAudienceRecord{"audience record of workload", AudienceRecordKey, AudienceRecordToJson, AudienceRecordFromJson};

AudienceWorkloads WithAudiences(const WorkloadSet& set) {
  AudienceWorkloads out;
  for (const auto& cached : set.all)
    if (!cached.workload->audiences.empty()) {
      out.workloads.push_back(cached.workload.get());
      out.ids.push_back(cached.workload->id);
    }
  return out;
}

}  // namespace icb
