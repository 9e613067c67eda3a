#include "broker/orchestrator/triggers/replicator.h"

#include <algorithm>

#include "broker/core/time.h"
#include "broker/orchestrator/kinds/migration.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr double kDefaultIntervalS = 60;


}  // namespace

std::string Replicator::TargetFor(const Workload& w, const std::string& placement) {
  const std::string& to = w.replication->to;
  if (to != "auto") return to == placement ? "" : to;
  auto candidates = EvaluateCandidates(d_, w, {placement});
  if (!candidates.ok()) return "";
  auto snapshot = d_.catalog.Snapshot();
  if (!snapshot.ok()) return "";
  for (const auto& c : *candidates) {
    const ProviderEntry* e = (*snapshot)->FindProvider(c.provider);
    if (c.fits() && e && e->provider.adapters.count(ObjectStore::kCapability)) return c.provider;
  }
  return "";
}

Result<size_t> Replicator::Pass() {
  // Only the broker that runs operations starts them.
  const std::optional<Fence> fence = runner_.CurrentFence();
  if (!fence) return size_t{0};
  size_t started = 0;
  ICB_ASSIGN_OR_RETURN(auto set, workloads_.Read());
  const TimePoint now = d_.clock.Now();
  double worst_ratio = 0;
  int over_rpo = 0;
  for (const auto& entry : set->all) {
    const Workload* w = entry.workload.get();
    if (!w->replication || w->data.empty()) continue;
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, w->id));
    if (!status || status->state == "unplaced") continue;
    ICB_ASSIGN_OR_RETURN(auto found, GetReplica(d_.store, w->id));
    ReplicaRecord rec = found.value_or(ReplicaRecord{});
    if (rec.verified_at && w->rpo_s && *w->rpo_s > 0) {
      const double ratio = std::chrono::duration<double>(now - *rec.verified_at).count() / *w->rpo_s;
      worst_ratio = std::max(worst_ratio, ratio);
      over_rpo += ratio > 1 ? 1 : 0;
    }
    // The lag, against the workload's RPO: one event per replica version.
    if (rec.verified_at && w->rpo_s && rec.lag_event_for != rec.verified_at) {
      const double lag = std::chrono::duration<double>(now - *rec.verified_at).count();
      if (lag > *w->rpo_s) {
        AuditEvent e = MakeEvent("rpo/" + w->id + "/" + FormatRfc3339(*rec.verified_at), "rpo_exceeded", now, {w->id, rec.running, rec.provider},
                                 "replica of " + w->id + " at " + rec.provider + " is " + FormatNumber(std::round(lag)) + " s behind (RPO " +
                                     FormatNumber(*w->rpo_s) + " s)",
                                 {{"lag_s", lag}, {"rpo_s", *w->rpo_s}, {"verified_at", FormatRfc3339(*rec.verified_at)}, {"running", rec.running}});
        ReplicaRecord next = rec;
        next.lag_event_for = rec.verified_at;
        auto written = d_.store.CompareAndSetAll({ReplicaWrite(w->id, next)}, {AuditAppend({e})}, &*fence);
        if (!written.ok()) continue;  // changed meanwhile: the next pass looks again
        rec = next;
        ++rec.version;
      }
    }
    if (!status->operation.empty()) continue;  // failing over or migrating: not now
    if (!rec.running.empty()) {
      ICB_ASSIGN_OR_RETURN(auto op, runner_.operations().Get(rec.running));
      if (op && !Finished(op->state)) continue;
    }
    const double interval = w->replication->interval_s.value_or(kDefaultIntervalS);
    if (rec.last_started && std::chrono::duration<double>(now - *rec.last_started).count() < interval) continue;
    const std::string target = TargetFor(*w, status->placement);
    if (target.empty()) continue;
    Operation op;
    op.id = new_id_("replication", w->id);
    op.kind = "replication";
    op.workload = w->id;
    op.source = status->placement;
    op.target = target;
    for (const auto& name : kMigrationDataSteps) op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, json::object()});
    json sets = json::array();
    for (const auto& d : w->data) sets.push_back({{"name", d.name}, {"source_prefix", d.prefix}, {"target_prefix", d.prefix}});
    op.request = {{"trigger", "declared"}, {"sets", std::move(sets)}};
    // Incremental when the replica stays where it is.
    if (!rec.operation.empty() && rec.provider == target) op.request["previous"] = rec.operation;
    op.created_at = op.updated_at = now;
    ReplicaRecord next = rec;
    next.running = op.id;
    next.target = target;
    next.last_started = now;
    Status created = runner_.operations().Create(op, &*fence, Along{{ReplicaWrite(w->id, next)}, {}});
    if (created.ok()) ++started;
    else if (created.code() != StatusCode::kAborted) return created;  // Aborted: another broker started it
  }
  // Set once the pass saw every workload (one that stopped early leaves the last figures).
  if (lag_.worst_ratio) lag_.worst_ratio->Set(worst_ratio);
  if (lag_.over_rpo) lag_.over_rpo->Set(over_rpo);
  return started;
}

}  // namespace icb
