// Continuous replication: a workload with `replication` keeps a warm copy
// of its data sets at its `to` provider (`auto`: its best failover target
// now), as `replication` operations (the migration's inventory -> copy ->
// confirm, incremental: an object whose key, version tag and size match one
// the previous replication verified is carried over, not copied) every
// `interval_s`. They run beside the workload and never claim it, so a
// failover is never held up by one.
//
// The replica record (state/replica.h) says where the warm copy is and the
// moment it represents. A lag above the workload's rpo_s raises one
// `rpo_exceeded` event per replica version.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/steps.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/workload_cache.h"

namespace icb {

// The replicas' lag against their workloads' RPO, set at each pass of the
// leader's replicator (no per-workload series: the worst and a count).
struct ReplicaLagGauges {
  Gauge* worst_ratio = nullptr;  // icbroker_replica_lag_rpo_ratio: the largest lag / rpo_s
  Gauge* over_rpo = nullptr;     // icbroker_replicas_over_rpo: replicas whose lag exceeds rpo_s
};

// Starts the replications that are due and raises lag events: one pass,
// for the scheduler (every second).
class Replicator {
 public:
  // A new operation's id, in the space of the workload it is for.
  using NewId = std::function<std::string(const std::string& kind, const std::string& workload)>;
  Replicator(const WorkloadKindDeps& deps, WorkloadCache& workloads, OperationRunner& runner, NewId new_id)
      : d_(deps), workloads_(workloads), runner_(runner), new_id_(std::move(new_id)) {}
  // Returns how many replications it started.
  Result<size_t> Pass();
  void CountLag(ReplicaLagGauges gauges) { lag_ = gauges; }

 private:
  // The provider the replica goes to now; empty: none can take it.
  std::string TargetFor(const Workload& w, const std::string& placement);

  WorkloadKindDeps d_;
  WorkloadCache& workloads_;
  OperationRunner& runner_;
  NewId new_id_;
  ReplicaLagGauges lag_;
};

}  // namespace icb
