// The retained source of a workload's move (icb:migration:OP:retained),
// and the set of those still pending (icb:retained): a migration that
// succeeded leaves its data sets where they were until the operator
// confirms or its retention elapses (triggers/retirer.h deletes them). The
// record is written with the migration's last record.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/engine/stored_record.h"

namespace icb {

inline constexpr const char* kRetainedPendingSet = "icb:retained";

struct RetainedSource {
  std::string operation;  // the migration that moved the workload
  std::string workload;
  std::string provider;   // where the retained copy is (the move's source)
  std::vector<std::string> prefixes;
  std::optional<TimePoint> delete_after;  // none: kept until confirmed
  std::optional<TimePoint> confirmed_at;
  std::optional<TimePoint> retired_at;    // deleted (or kept for good, see kept)
  size_t objects_deleted = 0;
  std::string kept;  // why the copy was not deleted after all; empty: it was
  long long version = 0;
  bool pending() const { return !retired_at; }
};

extern const RecordCodec<RetainedSource> kRetainedRecord;

inline Result<std::optional<RetainedSource>> GetRetained(Store& store, std::string_view operation) {
  return GetRecord(store, kRetainedRecord, operation);
}
// The record's write, with its place in the pending set.
CasWrite RetainedWrite(const RetainedSource& r);
nlohmann::json RetainedToJson(const RetainedSource& r);

}  // namespace icb
