#include "broker/orchestrator/triggers/retirer.h"

#include "broker/core/time.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

namespace {

Status Conflict(std::string message) { return Status(StatusCode::kFailedPrecondition, message, {{"", message}}); }

}  // namespace

Result<RetainedSource> SourceRetirer::Confirm(const std::string& operation, const std::string& actor) {
  ICB_ASSIGN_OR_RETURN(auto op, runner_.operations().Get(operation));
  if (!op) return NoOperation(operation);
  if (op->kind != "migration" || op->workload.empty()) return Conflict("operation " + operation + " is not a workload's move; nothing is retained");
  ICB_ASSIGN_OR_RETURN(auto found, GetRetained(d_.store, operation));
  if (!found) {
    return Conflict(op->state == OperationState::kSucceeded ? "the move " + operation + " retains nothing"
                                                            : "the move " + operation + " has not succeeded (" +
                                                                  std::string(OperationStateName(op->state)) + "); its source is where the workload runs");
  }
  RetainedSource r = *found;
  if (!r.pending()) return Conflict("the copy at " + r.provider + " was " + (r.kept.empty() ? "deleted" : "kept: " + r.kept) + " already");
  if (r.confirmed_at) return r;  // confirmed before: the same answer
  r.confirmed_at = d_.clock.Now();
  AuditEvent confirmed = MakeEvent(operation + "/confirmed", "confirmed", *r.confirmed_at, {r.workload, operation, r.provider},
                                   "the copy at " + r.provider + " may go", RetainedToJson(r));
  confirmed.actor = actor;
  ICB_RETURN_IF_ERROR(d_.store.CompareAndSetAll({RetainedWrite(r)}, {AuditAppend({confirmed})}, nullptr).status());
  ++r.version;
  return r;
}

Result<size_t> SourceRetirer::DeleteCopy(const RetainedSource& r) {
  ICB_ASSIGN_OR_RETURN(auto store, d_.adapters.Objects(r.provider));
  size_t deleted = 0;
  for (const auto& prefix : r.prefixes) {
    if (prefix.empty()) continue;  // never a whole container: a data set names its prefix
    ICB_ASSIGN_OR_RETURN(auto listed, ListAll(*store, prefix));
    for (const auto& info : listed) {
      ICB_RETURN_IF_ERROR(store->Delete(info.key));  // ok when already gone
      ++deleted;
    }
  }
  return deleted;
}

Result<size_t> SourceRetirer::Pass() {
  const std::optional<Fence> fence = runner_.CurrentFence();
  if (!fence) return size_t{0};
  ICB_ASSIGN_OR_RETURN(auto pending, d_.store.SetMembers(kRetainedPendingSet));
  const TimePoint now = d_.clock.Now();
  size_t retired = 0;
  for (const auto& id : pending) {
    ICB_ASSIGN_OR_RETURN(auto found, GetRetained(d_.store, id));
    if (!found || !found->pending()) continue;
    RetainedSource r = *found;
    const bool due = r.confirmed_at || (r.delete_after && *r.delete_after <= now);
    if (!due) continue;
    // Never the data a workload uses: it runs there again, or its replica is there.
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, r.workload));
    ICB_ASSIGN_OR_RETURN(auto replica, GetReplica(d_.store, r.workload));
    if (status && status->placement == r.provider) r.kept = "workload " + r.workload + " runs on " + r.provider + " again";
    else if (replica && replica->provider == r.provider) r.kept = "the replica of workload " + r.workload + " is at " + r.provider;
    if (status && !status->operation.empty() && r.kept.empty()) continue;  // moving meanwhile: after it
    std::string summary;
    if (r.kept.empty()) {
      auto deleted = DeleteCopy(r);
      if (!deleted.ok()) continue;  // the provider is away: the next pass tries again (deleting is idempotent)
      r.objects_deleted = *deleted;
      summary = std::to_string(*deleted) + " objects of workload " + r.workload + " deleted at " + r.provider + " (" +
                (r.confirmed_at ? "the move was confirmed" : "its retention elapsed") + ")";
    } else {
      summary = "the copy of workload " + r.workload + " at " + r.provider + " is kept: " + r.kept;
    }
    r.retired_at = now;
    AuditEvent e = MakeEvent(id + "/source_retired", "source_retired", now, {r.workload, id, r.provider}, std::move(summary), RetainedToJson(r));
    auto written = d_.store.CompareAndSetAll({RetainedWrite(r)}, {AuditAppend({e})}, &*fence);
    if (written.ok()) ++retired;
  }
  return retired;
}

}  // namespace icb
