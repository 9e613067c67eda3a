#include "broker/orchestrator/orchestrator.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <unordered_map>

#include "broker/core/call_priority.h"
#include "broker/core/time.h"
#include "broker/orchestrator/kinds/burst.h"
#include "broker/orchestrator/kinds/migration.h"
#include "broker/orchestrator/kinds/recovery.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kRunnerTask = "orchestrator";
constexpr const char* kReconcileTask = "workload-reconciler";
constexpr const char* kReplicateTask = "replicator";
constexpr const char* kRetireTask = "source-retirer";
constexpr const char* kReadinessTask = "readiness";

Status Conflict(std::string message, std::string detail) {
  return Status(StatusCode::kFailedPrecondition, std::move(message), {{"", std::move(detail)}});
}

// An outage's recovery, or a failover the broker started on detecting one.
bool RecoversFromOutage(const Operation& op) {
  if (op.kind == "recovery") return true;
  if (op.kind == "delocalize") return op.request.value("outage", false);  // an audience whose provider went down
  return op.kind == "failover" && op.request.value("trigger", "") == "automatic";
}

}  // namespace

Orchestrator::Orchestrator(const WorkloadKindDeps& deps, OrchestratorOptions options) : deps_(deps), options_(std::move(options)) {
  mover_ = std::make_unique<DataMover>(deps_.store, deps_.adapters, deps_.clock, options_.transfers);
  data_steps_ = std::make_unique<DataSteps>(deps_, *mover_);
  // A failover's sync_data copies the delta from a source that answers.
  workload_steps_ = std::make_unique<WorkloadSteps>(deps_, data_steps_.get(), latencies_);
  // A localize copies the workload's data from its placement.
  localize_steps_ = std::make_unique<LocalizeSteps>(deps_, data_steps_.get(), latencies_);
  // Every kind the runner knows, once each (kinds/*.h list their steps).
  MustRegister(kinds_.Register("place", PlaceKind(*workload_steps_)));
  MustRegister(kinds_.Register("failover", FailoverKind(*workload_steps_)));
  MustRegister(kinds_.Register(
      "recovery", RecoveryKind(deps_, [this](const std::string& w, const FailoverRequest& r) { return StartFailover(w, r); })));
  MustRegister(kinds_.Register("migration", MigrationKind(deps_, *data_steps_, *workload_steps_)));
  MustRegister(kinds_.Register("replication", ReplicationKind(deps_, *data_steps_)));
  MustRegister(kinds_.Register("burst", BurstKind(deps_)));
  MustRegister(kinds_.Register("scale_back", ScaleBackKind(deps_)));
  MustRegister(kinds_.Register("localize", LocalizeKind(*localize_steps_)));
  MustRegister(kinds_.Register("delocalize", DelocalizeKind(*localize_steps_)));
  RunnerOptions runner;
  runner.holder = options_.broker_id;
  runner.lease_ttl = options_.lease_ttl;
  runner.workers = options_.operation_workers;
  runner.metrics = options_.runner_metrics;
  runner.log = options_.log;
  // Priority 1 before 2 at the runner's queue and the providers' gates; a
  // recovery (no one workload) only starts and watches failovers: first.
  // Recovering from an outage comes before anything asked for or planned
  // (a move, a manual failover, a placement, a burst) of any priority: a
  // tenant cannot queue its requests ahead of another's outage by
  // declaring its workloads priority 1.
  runner.priority = [this](const Operation& op) {
    if (op.workload.empty()) return 0;
    auto w = LoadWorkload(deps_.catalog, op.workload);
    const int priority = w.ok() ? w->priority : 0;
    return RecoversFromOutage(op) ? priority : CallPriority::kRequested + priority;
  };
  // Everything but outage recovery runs on its tenant's share of the
  // workers, and a quarter of them (at least one) is kept for recovery.
  runner.share = [](const Operation& op) -> std::optional<std::string> {
    if (RecoversFromOutage(op)) return std::nullopt;
    return TenantSpace::Of(op.id).Scoped("");
  };
  runner.reserved_workers = CallPriority::KeptForOutages(options_.operation_workers);
  runner.workers_per_share = std::max(1, (options_.operation_workers - runner.reserved_workers) / 2);
  // Only between Start and Stop, which stops the runner's workers first.
  runner.on_idle = [this] {
    if (scheduler_) scheduler_->Wake(kRunnerTask);
  };
  runner_ = std::make_unique<OperationRunner>(deps_.store, kinds_, deps_.clock, std::move(runner));
  replicator_ = std::make_unique<Replicator>(deps_, workloads_, *runner_, [this](const std::string& kind, const std::string& workload) { return NewOperationId(kind, TenantSpace::Of(workload)); });
  replicator_->CountLag(options_.replica_lag);
  retirer_ = std::make_unique<SourceRetirer>(deps_, *runner_);
  DrillOptions drilling;
  drilling.operation_workers = options_.operation_workers;
  drilling.call_limit = options_.provider_call_limit;
  drilling.provider_calls = options_.provider_calls;
  drills_ = std::make_unique<Drills>(deps_, workloads_, std::move(drilling));
  readiness_ = std::make_unique<Readiness>(*drills_, *runner_, deps_.store, deps_.clock, options_.readiness);
  if (options_.load_policy) {
    burst_ = std::make_unique<BurstController>(
        deps_, workloads_, *runner_, *options_.load_policy, [this](const std::string& kind, const std::string& workload) { return NewOperationId(kind, TenantSpace::Of(workload)); },
        [this] {
          if (scheduler_) scheduler_->Wake(kRunnerTask);
        });
  }
}

Orchestrator::~Orchestrator() { Stop(); }

void Orchestrator::LocalizeWith(const AudienceLatencies& latencies, const LatencyTriggerPolicy& policy) {
  latencies_.Attach(&latencies);
  localize_ = std::make_unique<LocalizeController>(
      deps_, workloads_, *runner_, policy, latencies,
      [this](const std::string& kind, const std::string& workload) { return NewOperationId(kind, TenantSpace::Of(workload)); },
      [this] {
        if (scheduler_) scheduler_->Wake(kRunnerTask);
      });
}

void Orchestrator::Start(Scheduler& scheduler) {
  scheduler_ = &scheduler;
  runner_->Start();
  scheduler.Register(kRunnerTask, [this] { return runner_->Tick(); });
  scheduler.Register(kReconcileTask, [this]() -> std::optional<MonoTime> {
    (void)Reconcile();  // a store that is away: the next pass tries again
    return deps_.clock.Monotonic() + options_.reconcile_every;
  });
  scheduler.Register(kReplicateTask, [this]() -> std::optional<MonoTime> {
    auto started = Replicate();
    if (started.ok() && *started > 0 && scheduler_) scheduler_->Wake(kRunnerTask);
    return deps_.clock.Monotonic() + Millis(1000);
  });
  scheduler.Register(kRetireTask, [this]() -> std::optional<MonoTime> {
    (void)RetireSources();  // a provider or store that is away: the next pass
    return deps_.clock.Monotonic() + Millis(5000);
  });
  if (options_.readiness_every.count() > 0)
    scheduler.Register(kReadinessTask, [this]() -> std::optional<MonoTime> {
      (void)readiness_->Pass();  // not the leader, or a store that is away: the next pass
      return deps_.clock.Monotonic() + options_.readiness_every;
    });
  if (burst_) burst_->Start(scheduler);
  if (localize_) localize_->Start(scheduler);
}

void Orchestrator::Stop() {
  if (!scheduler_) return;
  runner_->Stop();
  if (burst_) burst_->Stop();
  if (localize_) localize_->Stop();
  scheduler_->Unregister(kRunnerTask);
  scheduler_->Unregister(kReconcileTask);
  scheduler_->Unregister(kReplicateTask);
  scheduler_->Unregister(kRetireTask);
  if (options_.readiness_every.count() > 0) scheduler_->Unregister(kReadinessTask);
  scheduler_ = nullptr;
}

void Orchestrator::Nudge() {
  if (!scheduler_) return;
  scheduler_->Wake(kReconcileTask);
  scheduler_->Wake(kRunnerTask);
}

Result<Drill> Orchestrator::RunDrill(const DrillRequest& r) { return drills_->Run(r, NewOperationId("drill", r.scope.own())); }

std::string Orchestrator::NewOperationId(const std::string& kind, const TenantSpace& space) {
  // Unique across brokers and restarts: time, a random part, a counter.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t n;
  {
    std::lock_guard lock(id_mu_);
    n = ++id_counter_;
  }
  const auto ms = std::chrono::duration_cast<Millis>(deps_.clock.Now().time_since_epoch()).count();
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s-%llx-%06llx%llx", kind.c_str(), static_cast<unsigned long long>(ms),
                static_cast<unsigned long long>(rng() & 0xffffff), static_cast<unsigned long long>(n));
  return space.prefix() + buf;
}

Status Orchestrator::Reconcile() {
  std::lock_guard lock(reconcile_mu_);
  ICB_ASSIGN_OR_RETURN(auto set, workloads_.Read());
  if (set->version != reconciled_.workloads_version) {
    reconciled_.status_keys.clear();
    reconciled_.status_keys.reserve(set->all.size());
    for (const auto& e : set->all) reconciled_.status_keys.push_back(kWorkloadStatusRecord.key(e.workload->id));
    std::unordered_map<std::string, Reconciled::Settled> kept;  // of workloads still there
    for (const auto& e : set->all)
      if (auto seen = reconciled_.settled.extract(e.workload->id)) kept.insert(std::move(seen));
    reconciled_.settled = std::move(kept);
    reconciled_.workloads_version = set->version;
  }
  // Every status record's version in one round trip; a workload whose
  // document and status are as a pass found them settled is not read again
  // (level triggered still: any change to either is looked at).
  ICB_ASSIGN_OR_RETURN(auto versions, deps_.store.GetVersions(reconciled_.status_keys));
  std::vector<size_t> to_read;
  for (size_t i = 0; i < set->all.size(); ++i) {
    auto seen = reconciled_.settled.find(set->all[i].workload->id);
    if (seen == reconciled_.settled.end() || seen->second.digest != set->all[i].digest || !versions[i] ||
        seen->second.status_version != *versions[i])
      to_read.push_back(i);
  }
  if (to_read.empty()) return Status::Ok();
  std::vector<std::string> keys;
  keys.reserve(to_read.size());
  for (size_t i : to_read) keys.push_back(reconciled_.status_keys[i]);
  ICB_ASSIGN_OR_RETURN(auto stored, deps_.store.GetVersionedMany(keys));
  for (size_t k = 0; k < to_read.size(); ++k) {
    const CachedWorkload& entry = set->all[to_read[k]];
    const Workload& w = *entry.workload;
    const std::string& id = w.id;
    const std::string& digest = entry.digest;
    std::optional<WorkloadStatus> status;
    if (stored[k]) {
      auto parsed = ParseRecord(kWorkloadStatusRecord, id, *stored[k]);
      ICB_RETURN_IF_ERROR(parsed.status());
      status = std::move(*parsed);
    }
    if (status && (!status->operation.empty() || status->placed_digest == digest)) {
      reconciled_.settled[id] = {digest, status->version};
      continue;
    }
    WorkloadStatus s;
    if (status) {
      s = *status;
    } else {
      s.placement = w.placement;
      s.since = w.placed_since;
    }
    ICB_ASSIGN_OR_RETURN(auto steps, runner_->StepsOf("place"));
    Operation op;
    op.id = NewOperationId("place", TenantSpace::Of(id));
    op.kind = "place";
    op.workload = id;
    op.target = s.placement;
    op.steps = std::move(steps);
    op.request = {{"trigger", "declared"}, {"digest", digest}};
    op.created_at = op.updated_at = deps_.clock.Now();
    s.operation = op.id;
    Status created = runner_->operations().Create(op, nullptr, Along{{WorkloadStatusWrite(id, s)}, {}});
    if (created.code() == StatusCode::kAborted) continue;  // another broker or request got there first
    ICB_RETURN_IF_ERROR(created);
    if (scheduler_) scheduler_->Wake(kRunnerTask);
  }
  return Status::Ok();
}

Result<std::optional<Operation>> Orchestrator::StartedWith(const std::string& scoped_key) {
  if (scoped_key.empty()) return std::optional<Operation>();
  ICB_ASSIGN_OR_RETURN(auto id, runner_->operations().FindByKey(scoped_key));
  if (!id) return std::optional<Operation>();
  return runner_->operations().Get(*id);
}

Result<std::optional<Operation>> Orchestrator::CreateOrFind(Operation op, const Along& along) {
  Status created = runner_->operations().Create(op, nullptr, along);
  if (created.ok()) {
    Nudge();
    return std::optional<Operation>(std::move(op));
  }
  if (created.code() != StatusCode::kAborted) return created;
  // Lost a race: the same key, or another operation, came first.
  return StartedWith(op.idempotency_key);
}

Status Orchestrator::CheckTenantRoom(const TenantSpace& space) {
  if (options_.operations_per_tenant <= 0) return Status::Ok();
  ICB_ASSIGN_OR_RETURN(auto unfinished, runner_->operations().Unfinished());
  const auto running = std::count_if(unfinished.begin(), unfinished.end(), [&](const std::string& id) { return space.Holds(id); });
  if (running < options_.operations_per_tenant) return Status::Ok();
  return Status(StatusCode::kRateLimited, "the tenant has " + std::to_string(running) + " operations in progress, its most (--operations-per-tenant " +
                                              std::to_string(options_.operations_per_tenant) + "); retry when one has ended");
}

Result<Operation> Orchestrator::StartFailover(const std::string& workload, const FailoverRequest& request) {
  const std::string scoped_key = request.idempotency_key.empty() ? "" : "failover/" + workload + "/" + request.idempotency_key;
  ICB_ASSIGN_OR_RETURN(auto again, StartedWith(scoped_key));
  if (again) return std::move(*again);
  if (request.trigger == "manual") ICB_RETURN_IF_ERROR(CheckTenantRoom(TenantSpace::Of(workload)));
  ICB_ASSIGN_OR_RETURN(Workload w, LoadWorkload(deps_.catalog, workload));
  for (int attempt = 0; attempt < 2; ++attempt) {
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(deps_.store, workload));
    if (!status) {
      return Conflict("workload " + workload + " is not placed yet", "its place operation has not started; try again in a moment");
    }
    if (!status->operation.empty()) {
      return Conflict("operation " + status->operation + " is running for workload " + workload,
                      "operation " + status->operation + " is running; wait for it to end or cancel it (POST /v1/operations/" +
                          status->operation + "/cancel)");
    }
    if (!request.to.empty()) {
      ICB_ASSIGN_OR_RETURN(auto snapshot, deps_.catalog.Snapshot());
      const ProviderEntry* e = snapshot->FindProvider(request.to);
      if (!e) return Status(StatusCode::kNotFound, "unknown target", {{"/to", "no provider \"" + request.to + "\""}});
      if (!e->provider.adapters.count(ComputeProvider::kCapability))
        return InvalidArgument("invalid target", {{"/to", "provider " + request.to + " has no compute adapter to run " + w.service}});
      if (request.to == status->placement)
        return InvalidArgument("invalid target", {{"/to", "workload " + workload + " already runs on " + request.to}});
    }
    ICB_ASSIGN_OR_RETURN(auto steps, runner_->StepsOf("failover"));
    Operation op;
    op.id = NewOperationId("failover", TenantSpace::Of(workload));
    op.kind = "failover";
    op.workload = workload;
    op.source = status->placement;
    op.target = request.to;
    op.steps = std::move(steps);
    op.request = {{"trigger", request.trigger}};
    if (!request.to.empty()) op.request["to"] = request.to;
    if (!request.reason.empty()) op.request["reason"] = request.reason;
    if (request.detected_at) op.request["detected_at"] = FormatRfc3339(*request.detected_at);
    // What the latest drill predicted for a disaster of where it runs: kept
    // with the operation, which shows its achieved parts beside it (a read
    // that fails leaves it out: the failover does not wait for a drill).
    if (auto predicted = drills_->PredictionOf(workload, status->placement); predicted.ok() && !predicted->is_null())
      op.request["drill"] = std::move(*predicted);
    op.actor = request.actor;
    op.idempotency_key = scoped_key;
    op.created_at = op.updated_at = deps_.clock.Now();
    WorkloadStatus s = *status;
    s.operation = op.id;
    s.state = "failing_over";
    Along along{{WorkloadStatusWrite(workload, s)}, request.events};
    for (auto& e : along.events) e.operation = op.id;
    ICB_ASSIGN_OR_RETURN(auto started, CreateOrFind(std::move(op), along));
    if (started) return std::move(*started);
  }
  return Status(StatusCode::kAborted, "workload " + workload + " changed while its failover was being started; try again");
}

Result<RetainedSource> Orchestrator::ConfirmMove(const std::string& operation, const std::string& actor) {
  ICB_ASSIGN_OR_RETURN(RetainedSource r, retirer_->Confirm(operation, actor));
  if (scheduler_) scheduler_->Wake(kRetireTask);
  return r;
}

bool Orchestrator::Leads() const { return runner_->LeaseEpoch() > 0; }

Result<std::vector<std::string>> Orchestrator::StartRecovery(const std::string& provider, const std::vector<std::string>& workloads,
                                                              std::optional<TimePoint> detected_at) {
  // Workloads an unfinished recovery of this provider holds already (a
  // broker restarted in the middle of one detects them again): that one
  // moves them.
  std::set<std::string> recovering;
  ICB_ASSIGN_OR_RETURN(auto unfinished, runner_->operations().Unfinished());
  for (const auto& id : unfinished) {
    ICB_ASSIGN_OR_RETURN(auto op, runner_->operations().Get(id));
    if (op && op->kind == "recovery" && op->source == provider) recovering.insert(op->workloads.begin(), op->workloads.end());
  }
  std::vector<std::string> busy, free;
  for (const auto& id : workloads) {
    if (recovering.count(id)) continue;
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(deps_.store, id));
    if (!status) continue;  // forgotten meanwhile
    if (!status->operation.empty()) busy.push_back(id);
    else if (status->placement == provider) free.push_back(id);
  }
  if (free.size() == 1) {
    FailoverRequest r;
    r.trigger = "automatic";
    r.reason = "detected: " + provider + " does not serve it";
    r.detected_at = detected_at;
    auto op = StartFailover(free.front(), r);
    if (!op.ok() && op.status().code() == StatusCode::kFailedPrecondition) busy.push_back(free.front());
    else if (!op.ok()) return op.status();
    return busy;
  }
  if (free.empty()) return busy;
  ICB_ASSIGN_OR_RETURN(auto steps, runner_->StepsOf("recovery"));
  Operation op;
  // Across tenants: the broker's own (its children are each tenant's).
  op.id = NewOperationId("recovery", TenantSpace::Broker());
  op.kind = "recovery";
  op.workloads = free;
  op.source = provider;
  op.steps = std::move(steps);
  op.request = {{"trigger", "automatic"}, {"reason", "detected: " + provider + " took " + std::to_string(free.size()) + " workloads down"}};
  if (detected_at) op.request["detected_at"] = FormatRfc3339(*detected_at);
  op.created_at = op.updated_at = deps_.clock.Now();
  ICB_RETURN_IF_ERROR(runner_->operations().Create(op, nullptr));
  Nudge();
  return busy;
}

Result<Operation> Orchestrator::StartMigration(const MigrationRequest& request) {
  const bool for_workload = !request.workload.empty();
  const std::string scoped_key =
      request.idempotency_key.empty() ? "" : (for_workload ? "migration/" + request.workload + "/" : "migration//" + request.space.prefix()) + request.idempotency_key;
  ICB_ASSIGN_OR_RETURN(auto again, StartedWith(scoped_key));
  if (again) return std::move(*again);
  const TenantSpace space = for_workload ? TenantSpace::Of(request.workload) : request.space;
  ICB_RETURN_IF_ERROR(CheckTenantRoom(space));
  ICB_ASSIGN_OR_RETURN(auto snapshot, deps_.catalog.Snapshot());
  auto storage = [&](const std::string& provider, const std::string& pointer) -> Status {
    const ProviderEntry* e = snapshot->FindProvider(provider);
    if (!e) return Status(StatusCode::kNotFound, "unknown provider", {{pointer, "no provider \"" + provider + "\""}});
    if (!e->provider.adapters.count(ObjectStore::kCapability))
      return InvalidArgument("no object storage", {{pointer, "provider " + provider + " has no object_storage adapter"}});
    return Status::Ok();
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    Operation op;
    op.id = NewOperationId("migration", space);
    op.kind = "migration";
    op.idempotency_key = scoped_key;
    op.created_at = op.updated_at = deps_.clock.Now();
    op.request = {{"trigger", "manual"}};
    op.actor = request.actor;
    Along along;
    if (!for_workload) {
      ICB_RETURN_IF_ERROR(storage(request.source_provider, "/source/provider"));
      ICB_RETURN_IF_ERROR(storage(request.target_provider, "/target/provider"));
      if (request.source_provider == request.target_provider) {
        const std::string& a = request.source_prefix;
        const std::string& b = request.target_prefix;
        if (a.rfind(b, 0) == 0 || b.rfind(a, 0) == 0)
          return InvalidArgument("overlapping copy", {{"/target/prefix", "source and target prefixes overlap in the same store"}});
      }
      op.source = request.source_provider;
      op.target = request.target_provider;
      op.steps.clear();
      for (const auto& name : kMigrationDataSteps) op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, json::object()});
      op.request["source"] = {{"provider", request.source_provider}, {"prefix", request.source_prefix}};
      op.request["target"] = {{"provider", request.target_provider}, {"prefix", request.target_prefix}};
      op.request["sets"] = json::array({{{"source_prefix", request.source_prefix}, {"target_prefix", request.target_prefix}}});
    } else {
      ICB_ASSIGN_OR_RETURN(Workload w, LoadWorkload(deps_.catalog, request.workload));
      ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(deps_.store, request.workload));
      if (!status) return Conflict("workload " + request.workload + " is not placed yet", "its place operation has not started; try again in a moment");
      if (!status->operation.empty()) {
        return Conflict("operation " + status->operation + " is running for workload " + request.workload,
                        "operation " + status->operation + " is running; wait for it to end or cancel it (POST /v1/operations/" + status->operation +
                            "/cancel)");
      }
      const ProviderEntry* target = snapshot->FindProvider(request.to);
      if (!target) return Status(StatusCode::kNotFound, "unknown target", {{"/to", "no provider \"" + request.to + "\""}});
      if (request.to == status->placement)
        return InvalidArgument("invalid target", {{"/to", "workload " + request.workload + " already runs on " + request.to}});
      if (!target->provider.adapters.count(ComputeProvider::kCapability))
        return InvalidArgument("invalid target", {{"/to", "provider " + request.to + " has no compute adapter to run " + w.service}});
      json sets = json::array();
      for (const auto& d : w.data) sets.push_back({{"name", d.name}, {"source_prefix", d.prefix}, {"target_prefix", d.prefix}});
      if (!sets.empty()) {
        ICB_RETURN_IF_ERROR(storage(request.to, "/to"));
        const ProviderEntry* source = snapshot->FindProvider(status->placement);
        if (!source || !source->provider.adapters.count(ObjectStore::kCapability))
          return InvalidArgument("no object storage at the source", {{"/to", "workload " + request.workload + " runs on " + status->placement +
                                                                                  ", which has no object_storage adapter to copy its data from"}});
      }
      op.workload = request.workload;
      op.source = status->placement;
      op.target = request.to;
      op.request["to"] = request.to;
      op.request["sets"] = std::move(sets);
      if (request.retention_s) op.request["retention_s"] = *request.retention_s;
      for (const auto& name : kMigrationDataSteps) op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, json::object()});
      for (const auto& name : kMigrationCutoverSteps) op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, json::object()});
      WorkloadStatus s = *status;
      s.operation = op.id;
      s.state = "migrating";
      along.writes.push_back(WorkloadStatusWrite(request.workload, s));
    }
    ICB_ASSIGN_OR_RETURN(auto started, CreateOrFind(std::move(op), along));
    if (started) return std::move(*started);
  }
  return Status(StatusCode::kAborted, "the migration could not be started for a concurrent change; try again");
}

Result<Operation> Orchestrator::Cancel(const std::string& id, const std::string& actor) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ICB_ASSIGN_OR_RETURN(auto op, runner_->operations().Get(id));
    if (!op) return NoOperation(id);
    if (Finished(op->state)) {
      return Conflict("operation " + id + " has ended", "it is " + std::string(OperationStateName(op->state)) + "; nothing to cancel");
    }
    if (op->cancel_requested) return std::move(*op);
    op->cancel_requested = true;
    op->updated_at = deps_.clock.Now();
    // Who asked, in the same write (the operation's events carry its starter).
    AuditEvent asked = MakeEvent(id + "/cancel_requested", "cancel_requested", op->updated_at, {op->workload, id, ""}, "cancel requested");
    asked.actor = actor;
    Status s = runner_->operations().Update(*op, nullptr, Along{{}, {asked}});
    if (s.ok()) {
      Nudge();
      return std::move(*op);
    }
    if (s.code() != StatusCode::kAborted) return s;  // the runner wrote meanwhile: read it again
  }
  return Status(StatusCode::kAborted, "operation " + id + " kept changing; try again");
}

}  // namespace icb
