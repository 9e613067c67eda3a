// The kinds that bring one workload to a provider (docs/architecture.md,
// "Wire names"):
//
//   place     ensure_capacity -> switch_dns -> verify
//             (a new or changed workload brought to where it runs)
//   failover  choose_target -> ensure_capacity -> sync_data -> switch_dns ->
//             verify -> drain_source
//
// What each step does is WorkloadSteps below, top to bottom in
// place_failover.cc. Every provider call is idempotent (deploy by name,
// scale to a number, DNS replace) and carries a key made of the operation
// and the step, so a step run again after a crash repeats no effect. A
// target whose capacity went in the meantime or that does not verify sends
// a failover back to choose_target with that target excluded.
//
// sync_data: the workload's data at the target. A failover someone asked
// for, whose source still answers, copies the delta from the source first
// (DataSteps::CopyFromSource: carried over from the replica, the rest
// copied and verified; RPO achieved 0); otherwise the warm replica's moment
// is what the workload comes back with (the RPO achieved is reported).
#pragma once

#include <string>
#include <vector>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/data_steps.h"
#include "broker/orchestrator/kinds/steps.h"

namespace icb {

// What a failover is asked to do (the orchestrator's StartFailover).
struct FailoverRequest {
  std::string to;                  // empty: the best target the profile ranks
  std::string idempotency_key;     // empty: none
  std::string trigger = "manual";  // manual | automatic
  std::string reason;
  std::vector<AuditEvent> events;  // recorded with the operation
  std::string actor = {};          // AuditEvent::actor
  // Automatic: when its outage was first detected (kept in the request as
  // detected_at, for the detection-to-switch time).
  std::optional<TimePoint> detected_at = {};
};

inline const std::vector<std::string> kPlaceSteps = {"ensure_capacity", "switch_dns", "verify"};
inline const std::vector<std::string> kFailoverSteps = {"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify", "drain_source"};

class WorkloadSteps {
 public:
  // `data`: copies a failover's delta from a source that answers; null:
  // sync_data reports the replica only.
  // `latencies`: what each audience's vantage measured of each candidate,
  // which a failover's decision shows beside the ranking.
  WorkloadSteps(const WorkloadKindDeps& deps, DataSteps* data, const AudienceLatencies& latencies) : d_(deps), data_(data), latencies_(latencies) {}

  // Runs one step of place, failover or a workload's migration (its cutover).
  StepOutcome Run(const std::string& step, const Operation& op);
  // The last write of each of them: the workload's status released, and
  // where it runs now.
  Result<Along> Finish(const Operation& op);

 private:
  StepOutcome ChooseTarget(const Operation& op, const Workload& w);
  StepOutcome EnsureCapacity(const Operation& op, const Workload& w);
  StepOutcome SyncData(const Operation& op, const Workload& w);
  // The replica at the target, its moment and the data loss window.
  StepOutcome ReplicaWindow(const Operation& op, const Workload& w);
  StepOutcome SwitchDns(const Operation& op, const Workload& w);
  // With the record, the workload's split: every weight on where it runs now.
  StepOutcome SplitHome(const Operation& op, const Workload& w, nlohmann::json detail);
  StepOutcome Verify(const Operation& op, const Workload& w);
  StepOutcome DrainSource(const Operation& op);
  StepOutcome Transient(const Operation& op, const std::string& step, const Status& s, StepOutcome give_up);

  WorkloadKindDeps d_;
  DataSteps* data_;
  const AudienceLatencies& latencies_;
};

// The kinds, for the orchestrator to register (it owns `steps`).
OperationKind PlaceKind(WorkloadSteps& steps);
OperationKind FailoverKind(WorkloadSteps& steps);

}  // namespace icb
