// Retention of a planned move's source. A workload's migration that
// succeeded leaves its data sets where they were (drained, not deleted):
// kept until the operator confirms the move (POST /v1/operations/{id}/confirm)
// or the request's retention_s elapses, whichever comes first; without
// retention_s, until confirmed. Then the source's copy is deleted, object by
// object (each delete is idempotent: a broker killed half way deletes the
// rest after its restart). Never while the workload runs there again or
// its replica lives there: then the copy is kept and the record says why.
//
// The record (icb:migration:OP:retained), and the set of records still
// pending (icb:retained), are written with the migration's last record.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/runner.h"
#include "broker/orchestrator/workload_kinds.h"

namespace icb {

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

Result<std::optional<RetainedSource>> GetRetained(Store& store, std::string_view operation);
CasWrite RetainedWrite(const RetainedSource& r);
nlohmann::json RetainedToJson(const RetainedSource& r);

// Deletes the retained copies that are due: one pass, on the broker
// holding the operations lease (every few seconds on the scheduler).
class SourceRetirer {
 public:
  SourceRetirer(const WorkloadKindDeps& deps, OperationRunner& runner) : d_(deps), runner_(runner) {}
  // How many copies it retired.
  Result<size_t> Pass();
  // The operator confirms the move: the copy goes at the next pass.
  // NotFound for an unknown operation; FailedPrecondition (409) for one that
  // is not a workload's move that succeeded, or whose copy is gone already.
  Result<RetainedSource> Confirm(const std::string& operation);

 private:
  // Deletes every object under the record's prefixes at its provider.
  Result<size_t> DeleteCopy(const RetainedSource& r);

  WorkloadKindDeps d_;
  OperationRunner& runner_;
};

}  // namespace icb
