// Retention of a planned move's source. A workload's migration that
// succeeded leaves its data sets where they were (drained, not deleted):
// kept until the operator confirms the move (POST /v1/operations/{id}/confirm)
// or the request's retention_s elapses, whichever comes first; without
// retention_s, until confirmed. Then the source's copy is deleted, object by
// object (each delete is idempotent: a broker killed half way deletes the
// rest after its restart). Never while the workload runs there again or
// its replica lives there: then the copy is kept and the record says why.
//
// The record it keeps is state/retained.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/steps.h"
#include "broker/orchestrator/state/retained.h"

namespace icb {

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
  // `actor` (AuditEvent::actor) is recorded with the confirmation.
  Result<RetainedSource> Confirm(const std::string& operation, const std::string& actor);

 private:
  // Deletes every object under the record's prefixes at its provider.
  Result<size_t> DeleteCopy(const RetainedSource& r);

  WorkloadKindDeps d_;
  OperationRunner& runner_;
};

}  // namespace icb
