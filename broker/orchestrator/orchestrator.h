// The orchestrator: what starts operations and what runs them, composed in
// one place (the constructor): the operation kinds, each registered once
// and built from the steps it runs, the runner, and the loops that start
// work on their own (triggers/). Level triggered like a Kubernetes
// controller: a reconcile pass compares each workload's document with its
// status and starts a `place` operation where they differ; the runner
// advances every unfinished operation from its record. Both are tasks on
// the broker's one scheduler, and both are woken when a request changes
// something, so nothing waits for the next period. docs/architecture.md
// draws the parts: engine/, providers/, state/, data/, kinds/, triggers/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/tenant_space.h"
#include "broker/core/scheduler.h"
#include "broker/orchestrator/data/data_mover.h"
#include "broker/orchestrator/drills/drill.h"
#include "broker/orchestrator/drills/readiness.h"
#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/data_steps.h"
#include "broker/orchestrator/kinds/localize.h"
#include "broker/orchestrator/kinds/place_failover.h"
#include "broker/orchestrator/kinds/steps.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/orchestrator/triggers/burst_controller.h"
#include "broker/orchestrator/triggers/detector.h"
#include "broker/orchestrator/triggers/localize_controller.h"
#include "broker/orchestrator/triggers/replicator.h"
#include "broker/orchestrator/triggers/retirer.h"

namespace icb {

struct OrchestratorOptions {
  std::string broker_id = "broker";  // this broker, as the runner's lease holder
  Millis lease_ttl{10'000};
  Millis reconcile_every{5'000};
  int transfers = 4;  // objects the data mover copies at once
  // Operations advanced side by side (RunnerOptions::workers); 0: one at a
  // time on the scheduler's thread (tests on a manual clock).
  int operation_workers = 0;
  // Decides burst offload; null: workloads' `burst` is not acted on.
  const LoadTriggerPolicy* load_policy = nullptr;
  // Operations a tenant may have started by request and not yet ended
  // (failovers, moves, copies); more are 429 until one ends. Those the
  // broker starts itself (detection, recovery, placement) are never
  // refused. 0: no limit.
  int operations_per_tenant = 0;
  RunnerMetrics runner_metrics = {};  // what the runner counts (none unset)
  const Logger* log = nullptr;  // the runner's lines: each step and each operation's end
  ReplicaLagGauges replica_lag = {};  // set by the replicator's passes (none unset)
  // The providers' limits of calls in flight (their adapters' own, else
  // provider_calls): a drill counts the waves a recovery queues in.
  CallLimitFn provider_call_limit = nullptr;
  int provider_calls = 16;
  // Standing drills (drills/readiness.h): every this often on the leader; 0: none.
  Millis readiness_every{60'000};
  ReadinessGauges readiness = {};
};

// POST /v1/migrations (source and target) or POST /v1/workloads/{id}/migrations (workload and to).
struct MigrationRequest {
  std::string source_provider, source_prefix;
  std::string target_provider, target_prefix;
  std::string workload, to;
  std::string idempotency_key;
  std::optional<double> retention_s;  // a workload's move: how long its source's copy is kept (none: until confirmed)
  std::string actor = {};             // AuditEvent::actor
  // Whose a copy between providers is (a workload's move is its workload's).
  TenantSpace space = TenantSpace::Default();
};

class Orchestrator final : public RecoveryStarter {
 public:
  Orchestrator(const WorkloadKindDeps& deps, OrchestratorOptions options);
  ~Orchestrator();
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // Registers the runner and the reconciler on `scheduler` (unregistered by
  // Stop or the destructor). Unfinished operations resume on the first tick.
  void Start(Scheduler& scheduler);
  void Stop();

  // Starts a failover of `workload`: NotFound for an unknown workload;
  // FailedPrecondition (409) while another operation runs for it (naming
  // it) or before it is placed; InvalidArgument (400, at /to) for a target
  // that cannot be one. The same idempotency key again returns the
  // operation it started.
  Result<Operation> StartFailover(const std::string& workload, const FailoverRequest& request);
  // Recovers workloads `provider` took down together: one failover for one
  // workload, a recovery operation (in priority order) for several.
  // Returns the workloads it could not start for now (another operation
  // runs for them): the caller tries them again.
  Result<std::vector<std::string>> StartRecovery(const std::string& provider, const std::vector<std::string>& workloads,
                                                 std::optional<TimePoint> detected_at = std::nullopt) override;
  bool Leads() const override;
  // Starts a verified copy between two providers' object storage
  // (NotFound at /source/provider or /target/provider; InvalidArgument for
  // one without object storage, or the same place twice), or a workload's
  // planned move with its data to `to` (NotFound; 409 while another
  // operation runs for it; InvalidArgument at /to).
  Result<Operation> StartMigration(const MigrationRequest& request);
  // The operator confirms a workload's move: its source's copy is deleted
  // (retention.h). NotFound; 409 when there is no copy retained.
  Result<RetainedSource> ConfirmMove(const std::string& operation, const std::string& actor);
  // Runs a drill (drills/drill.h): what r.providers' disaster would do,
  // predicted over read-only adapters, stored with a `drill` event. The
  // drill's id is in r.scope's own space. Any replica may run one.
  Result<Drill> RunDrill(const DrillRequest& r);
  Drills& drills() { return *drills_; }
  // Could every workload be recovered now (the last standing drills).
  Readiness& readiness() { return *readiness_; }
  // Asks a running operation to stop between steps: NotFound; 409 when it
  // has finished already.
  Result<Operation> Cancel(const std::string& operation, const std::string& actor);

  // One reconcile pass (tests call it; the scheduler runs it periodically).
  Status Reconcile();
  // One replication pass: starts the replications that are due (every
  // second on the scheduler).
  Result<size_t> Replicate() { return replicator_->Pass(); }
  // One pass deleting retained sources that are due (every 5 s on the scheduler).
  Result<size_t> RetireSources() { return retirer_->Pass(); }
  // Wakes the reconciler and the runner: a workload or operation changed.
  void Nudge();

  OperationRunner& runner() { return *runner_; }
  // Null without a load policy.
  BurstController* burst() { return burst_.get(); }
  // Serves workloads' audiences from providers near them (localize and
  // delocalize), judged by `policy` on what `latencies` measured; before
  // Start. Without it, audiences are measured only.
  void LocalizeWith(const AudienceLatencies& latencies, const LatencyTriggerPolicy& policy);
  // Null before LocalizeWith.
  LocalizeController* localize() { return localize_.get(); }
  const OperationKinds& kinds() const { return kinds_; }
  Store& store() override { return deps_.store; }
  // The workload documents, parsed once per change (the detector shares them).
  WorkloadCache& workloads() { return workloads_; }

 private:
  // Unique, in `space` (tenant_space.h): a workload's operations are in its
  // tenant's space.
  std::string NewOperationId(const std::string& kind, const TenantSpace& space);
  // RateLimited (429) when `space` has OrchestratorOptions::operations_per_tenant
  // operations unfinished.
  Status CheckTenantRoom(const TenantSpace& space);
  // The operation an idempotency key (scoped to its route) started; none for an empty key.
  Result<std::optional<Operation>> StartedWith(const std::string& scoped_key);
  // Stores a new operation that claims what `along` writes; after a lost
  // race, the operation its key started (nullopt: none, try again).
  Result<std::optional<Operation>> CreateOrFind(Operation op, const Along& along);

  WorkloadKindDeps deps_;
  OrchestratorOptions options_;
  WorkloadCache workloads_{deps_.catalog};
  OperationKinds kinds_;
  AttachedLatencies latencies_;  // the audience meter's, once LocalizeWith attaches it
  std::unique_ptr<DataMover> mover_;
  std::unique_ptr<DataSteps> data_steps_;
  std::unique_ptr<WorkloadSteps> workload_steps_;
  std::unique_ptr<LocalizeSteps> localize_steps_;
  std::unique_ptr<OperationRunner> runner_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<BurstController> burst_;
  std::unique_ptr<LocalizeController> localize_;
  std::unique_ptr<SourceRetirer> retirer_;
  std::unique_ptr<Drills> drills_;
  std::unique_ptr<Readiness> readiness_;
  Scheduler* scheduler_ = nullptr;
  // What the last reconcile passes found, so a pass reads only the status
  // records that moved.
  struct Reconciled {
    struct Settled {
      std::string digest;          // of the document it was settled for
      long long status_version;    // of the status record then
    };
    long long workloads_version = -1;  // of the set status_keys follow
    std::vector<std::string> status_keys;  // in the set's order
    std::unordered_map<std::string, Settled> settled;  // by workload
  };
  std::mutex reconcile_mu_;
  Reconciled reconciled_;
  std::mutex id_mu_;
  uint64_t id_counter_ = 0;
};

}  // namespace icb
