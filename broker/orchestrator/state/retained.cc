#include "broker/orchestrator/state/retained.h"

namespace icb {

using nlohmann::json;

namespace {

std::string RetainedRecordKey(std::string_view operation) { return "icb:migration:" + std::string(operation) + ":retained"; }

Result<RetainedSource> RetainedRecordFromJson(const json& j) {
  RetainedSource r;
  r.operation = j.value("operation", "");
  r.workload = j.value("workload", "");
  r.provider = j.value("provider", "");
  r.prefixes = j.value("prefixes", std::vector<std::string>{});
  r.delete_after = OptionalTimeFrom(j, "delete_after");
  r.confirmed_at = OptionalTimeFrom(j, "confirmed_at");
  r.retired_at = OptionalTimeFrom(j, "retired_at");
  r.objects_deleted = j.value("objects_deleted", size_t{0});
  r.kept = j.value("kept", "");
  return r;
}

}  // namespace

json RetainedToJson(const RetainedSource& r) {
  return {{"operation", r.operation},
          {"workload", r.workload},
          {"provider", r.provider},
          {"prefixes", r.prefixes},
          {"delete_after", OptionalTimeJson(r.delete_after)},
          {"confirmed_at", OptionalTimeJson(r.confirmed_at)},
          {"retired_at", OptionalTimeJson(r.retired_at)},
          {"objects_deleted", r.objects_deleted},
          {"kept", r.kept}};
}

const RecordCodec<RetainedSource> kRetainedRecord{"retained source of operation", RetainedRecordKey, RetainedToJson, RetainedRecordFromJson};

CasWrite RetainedWrite(const RetainedSource& r) {
  CasWrite w = RecordWrite(kRetainedRecord, r.operation, r);
  if (r.pending()) w.set_add.emplace_back(kRetainedPendingSet, r.operation);
  else w.set_remove.emplace_back(kRetainedPendingSet, r.operation);
  return w;
}

}  // namespace icb
