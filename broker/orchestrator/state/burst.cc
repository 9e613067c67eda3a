#include "broker/orchestrator/state/burst.h"

namespace icb {

using nlohmann::json;

namespace {

std::string BurstRecordKey(std::string_view workload) { return "icb:workload:" + std::string(workload) + ":burst"; }

json BurstRecordToJson(const BurstRecord& r) {
  return {{"bursting", r.bursting},   {"source", r.source},
          {"secondary", r.secondary}, {"instances_before", r.instances_before},
          {"operation", r.operation}, {"since", OptionalTimeJson(r.since)},
          {"calm_since", OptionalTimeJson(r.calm_since)}, {"not_before", OptionalTimeJson(r.not_before)}};
}

Result<BurstRecord> BurstRecordFromJson(const json& j) {
  BurstRecord r;
  r.bursting = j.value("bursting", false);
  r.source = j.value("source", "");
  r.secondary = j.value("secondary", "");
  r.instances_before = j.value("instances_before", 0);
  r.operation = j.value("operation", "");
  r.since = OptionalTimeFrom(j, "since");
  r.calm_since = OptionalTimeFrom(j, "calm_since");
  r.not_before = OptionalTimeFrom(j, "not_before");
  return r;
}

}  // namespace

const RecordCodec<BurstRecord> kBurstRecord{"burst record of workload", BurstRecordKey, BurstRecordToJson, BurstRecordFromJson};

}  // namespace icb
