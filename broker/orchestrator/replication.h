// Continuous replication: a workload with `replication` keeps a warm copy
// of its data sets at its `to` provider (`auto`: its best failover target
// now), as `replication` operations (the migration's inventory -> copy ->
// confirm, incremental: an object whose key, version tag and size match one
// the previous replication verified is carried over, not copied) every
// `interval_s`. They run beside the workload and never claim it, so a
// failover is never held up by one.
//
// The replica record (icb:workload:ID:replica) says where the warm copy is
// and the moment it represents (`verified_at`: when its inventory listed
// the source); lag_s = now - verified_at. A lag above the workload's rpo_s
// raises one `rpo_exceeded` event per replica version.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/runner.h"
#include "broker/orchestrator/workload_kinds.h"

namespace icb {

struct ReplicaRecord {
  std::string provider;                 // where the verified copy is
  std::optional<TimePoint> verified_at; // the moment it represents
  std::string operation;                // the replication that verified it
  std::string target;                   // of the running or last started replication
  std::string running;                  // replication in progress; empty: none
  std::optional<TimePoint> last_started;
  std::optional<TimePoint> lag_event_for;  // verified_at an rpo_exceeded event was raised for
  long long version = 0;
};

std::string ReplicaKey(std::string_view workload);
Result<std::optional<ReplicaRecord>> GetReplica(Store& store, std::string_view workload);
CasWrite ReplicaWrite(std::string_view workload, const ReplicaRecord& r);
// {provider, verified_at, lag_s} as GET /v1/workloads shows it; null before a first verified copy.
nlohmann::json ReplicaToJson(const std::optional<ReplicaRecord>& r, TimePoint now);

// Starts the replications that are due and raises lag events: one pass,
// for the scheduler (every second).
class Replicator {
 public:
  using NewId = std::function<std::string(const std::string& kind)>;
  Replicator(const WorkloadKindDeps& deps, OperationRunner& runner, NewId new_id) : d_(deps), runner_(runner), new_id_(std::move(new_id)) {}
  // Returns how many replications it started.
  Result<size_t> Pass();

 private:
  // The provider the replica goes to now; empty: none can take it.
  std::string TargetFor(const Workload& w, const std::string& placement);

  WorkloadKindDeps d_;
  OperationRunner& runner_;
  NewId new_id_;
};

}  // namespace icb
