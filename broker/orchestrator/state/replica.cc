#include "broker/orchestrator/state/replica.h"

#include <algorithm>
#include <cmath>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

std::string ReplicaRecordKey(std::string_view workload) { return "icb:workload:" + std::string(workload) + ":replica"; }

json ReplicaRecordToJson(const ReplicaRecord& r) {
  return {{"provider", r.provider},   {"verified_at", OptionalTimeJson(r.verified_at)},   {"operation", r.operation},
          {"target", r.target},       {"running", r.running},                             {"last_started", OptionalTimeJson(r.last_started)},
          {"lag_event_for", OptionalTimeJson(r.lag_event_for)}};
}

Result<ReplicaRecord> ReplicaRecordFromJson(const json& j) {
  ReplicaRecord r;
  r.provider = j.value("provider", "");
  r.verified_at = OptionalTimeFrom(j, "verified_at");
  r.operation = j.value("operation", "");
  r.target = j.value("target", "");
  r.running = j.value("running", "");
  r.last_started = OptionalTimeFrom(j, "last_started");
  r.lag_event_for = OptionalTimeFrom(j, "lag_event_for");
  return r;
}

}  // namespace

const RecordCodec<ReplicaRecord> kReplicaRecord{"replica of workload", ReplicaRecordKey, ReplicaRecordToJson, ReplicaRecordFromJson};

json ReplicaToJson(const std::optional<ReplicaRecord>& r, TimePoint now) {
  if (!r || !r->verified_at || r->provider.empty()) return nullptr;
  const double lag = std::chrono::duration<double>(now - *r->verified_at).count();
  return {{"provider", r->provider}, {"verified_at", FormatRfc3339(*r->verified_at)}, {"lag_s", std::round(std::max(0.0, lag) * 10) / 10}};
}

}  // namespace icb
