#include "broker/orchestrator/kinds/migration.h"

#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/retained.h"

namespace icb {

using nlohmann::json;

namespace {

// The data steps a migration and a replication share.
StepOutcome RunDataStep(DataSteps& data, const std::string& step, const Operation& op) {
  if (step == "inventory") return data.Inventory(op);
  if (step == "copy") return data.Copy(op, "copy", DataSteps::SetsOf(op));
  if (step == "confirm") return data.Confirm(op);
  return StepOutcome::Fail("no step " + step);
}

// A workload's move that succeeded retains its source's copy of the data
// sets until confirmed or its retention_s elapses.
std::optional<CasWrite> RetainSource(const WorkloadKindDeps& d, const Operation& op) {
  RetainedSource r;
  r.operation = op.id;
  r.workload = op.workload;
  r.provider = op.source;
  for (const auto& set : DataSteps::SetsOf(op)) r.prefixes.push_back(set.source_prefix);
  if (r.prefixes.empty()) return std::nullopt;
  if (op.request.contains("retention_s"))
    r.delete_after = d.clock.Now() + std::chrono::duration_cast<Millis>(std::chrono::duration<double>(op.request["retention_s"].get<double>()));
  return RetainedWrite(r);
}

// The replica record: released, and on success the new verified copy (the
// moment its inventory listed the source).
Result<Along> FinishReplication(const WorkloadKindDeps& d, const Operation& op) {
  Along along;
  ICB_ASSIGN_OR_RETURN(auto found, GetReplica(d.store, op.workload));
  if (!found || found->running != op.id) return along;
  ReplicaRecord r = *found;
  r.running.clear();
  const StepRecord* inventory = op.Step("inventory");
  if (op.state == OperationState::kSucceeded && inventory && inventory->started_at) {
    r.provider = op.target;
    r.verified_at = inventory->started_at;
    r.operation = op.id;
  }
  along.writes.push_back(ReplicaWrite(op.workload, r));
  return along;
}

}  // namespace

OperationKind MigrationKind(const WorkloadKindDeps& deps, DataSteps& data, WorkloadSteps& cutover) {
  std::vector<std::string> steps = kMigrationDataSteps;
  steps.insert(steps.end(), kMigrationCutoverSteps.begin(), kMigrationCutoverSteps.end());
  auto run = [&data, &cutover](const std::string& step, const Operation& op) {
    const bool data_step = std::find(kMigrationDataSteps.begin(), kMigrationDataSteps.end(), step) != kMigrationDataSteps.end();
    if (data_step) return RunDataStep(data, step, op);
    if (op.workload.empty()) return StepOutcome::Fail("no step " + step + " in a migration of objects only");
    return cutover.Run(step, op);
  };
  auto finish = [deps, &data, &cutover](const Operation& op) -> Result<Along> {
    data.Release(op.id);
    if (op.workload.empty()) return Along{};
    ICB_ASSIGN_OR_RETURN(Along along, cutover.Finish(op));
    if (op.state == OperationState::kSucceeded) {
      if (auto retained = RetainSource(deps, op)) along.writes.push_back(std::move(*retained));
    }
    return along;
  };
  return {std::move(steps), run, finish};
}

OperationKind ReplicationKind(const WorkloadKindDeps& deps, DataSteps& data) {
  return {kMigrationDataSteps, [&data](const std::string& step, const Operation& op) { return RunDataStep(data, step, op); },
          [deps, &data](const Operation& op) {
            data.Release(op.id);
            return FinishReplication(deps, op);
          }};
}

}  // namespace icb
