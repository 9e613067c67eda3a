// The operation runner: operation kinds are registered by name with their
// steps; the runner advances every unfinished operation, recording each step
// before it runs and after it ends, under a lease whose epoch fences every
// write. A broker killed at any point resumes from the records: a step that
// was running when it died runs again, so each step is idempotent or checks
// first what the provider already did.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/core/log.h"
#include "broker/core/metrics.h"
#include "broker/core/named_registry.h"
#include "broker/core/worker_pool.h"
#include "broker/orchestrator/engine/operation.h"

namespace icb {

// What one step run came to.
struct StepOutcome {
  enum class Kind { kDone, kWait, kFail, kRetry, kRunning };
  Kind kind = Kind::kDone;
  nlohmann::json detail = nlohmann::json::object();
  std::string reason;          // kWait, kFail, kRetry
  Millis retry_after{1000};    // kWait, kRetry
  // Written with the step's end, atomically: records the step changes (a
  // workload's status) and events (a decision). A lost race on one of them
  // leaves the step to run again.
  Along along;
  // Operation fields the step settled (the target it chose).
  std::optional<std::string> target;
  // kRetry: run the operation again from this step (an earlier one: a
  // verify that failed goes back to choose_target with the next candidate).
  std::string restart_from;

  static StepOutcome Done(nlohmann::json detail = nlohmann::json::object()) { return {Kind::kDone, std::move(detail), "", Millis(0), {}, {}, {}}; }
  // Not yet: the operation waits (for capacity, a best-fit target) and the
  // step runs again after `after`.
  static StepOutcome Wait(std::string why, Millis after) { return {Kind::kWait, nlohmann::json::object(), std::move(why), after, {}, {}, {}}; }
  // Still at it in the background (a copy on the data mover's workers):
  // the step stays running, with no new attempt, and is asked again after
  // `after`.
  static StepOutcome Running(std::string what, Millis after) { return {Kind::kRunning, nlohmann::json::object(), std::move(what), after, {}, {}, {}}; }
  static StepOutcome Fail(std::string why, nlohmann::json detail = nlohmann::json::object()) {
    return {Kind::kFail, std::move(detail), std::move(why), Millis(0), {}, {}, {}};
  }
  // The step failed but the operation goes on from `from` (the steps from
  // there are pending again).
  static StepOutcome Retry(std::string why, std::string from, nlohmann::json detail = nlohmann::json::object()) {
    return {Kind::kRetry, std::move(detail), std::move(why), Millis(0), {}, {}, std::move(from)};
  }
};

struct OperationKind {
  std::vector<std::string> steps;  // in order
  // Runs step `step` of `op` (the record as stored, its earlier steps' detail included).
  std::function<StepOutcome(const std::string& step, const Operation& op)> run;
  // What is written with the operation's last record (succeeded, failed or
  // cancelled): a workload's status released, its new placement.
  std::function<Result<Along>(const Operation& op)> finish;
};

// The kinds a runner knows, by name; each is registered once.
class OperationKinds {
 public:
  // AlreadyExists for a name registered before.
  Status Register(std::string name, OperationKind kind) { return kinds_.Add(std::move(name), std::move(kind)); }
  Status ReplaceForTesting(std::string_view name, OperationKind kind) { return kinds_.ReplaceForTesting(name, std::move(kind)); }
  const OperationKind* Find(std::string_view name) const { return kinds_.Find(name); }
  std::vector<std::string> Names() const { return kinds_.Names(); }

 private:
  NamedRegistry<OperationKind> kinds_{"operation kind"};
};

// What the runner counts (broker/core/metrics.h); unset families count
// nothing. Durations are on the runner's clock.
struct RunnerMetrics {
  Family<Counter>* ended = nullptr;                // operations ended {kind, state}
  Family<Histogram>* operation_seconds = nullptr;  // created to ended {kind, state}
  Family<Histogram>* step_seconds = nullptr;       // one attempt of a step {kind, step, outcome: succeeded, failed, waited}
};
// Declares the families above as icbroker_operations_total,
// icbroker_operation_duration_seconds and icbroker_operation_step_duration_seconds.
Result<RunnerMetrics> DeclareRunnerMetrics(MetricRegistry& registry);

struct RunnerOptions {
  std::string holder;          // this broker, in the lease
  Millis lease_ttl{10'000};
  std::string lease = "orchestrator";
  // Operations advanced side by side, each on a worker of a pool this many
  // threads strong: a step waiting on a provider holds only its own
  // operation. 0: Tick advances them in turn on the calling thread (tests
  // on a manual clock).
  int workers = 0;
  // How urgent an operation's work is, 1 first: its workload's priority.
  // Ready operations start most urgent first, then oldest. Null: all alike.
  std::function<int(const Operation&)> priority;
  // Whose share of the workers an operation runs on: nullopt for work any
  // worker may take (recovering from an outage); else a name (its tenant).
  // Named operations together hold at most `workers - reserved_workers`
  // workers and those of one name at most `workers_per_share` (0: no
  // bound), so that one tenant's requests, hanging at a slow provider,
  // never hold every worker while another's outage waits. An operation
  // over its share stays queued until one of its share leaves a worker.
  std::function<std::optional<std::string>(const Operation&)> share;
  int reserved_workers = 0;
  int workers_per_share = 0;
  // Called when a worker leaves an operation (it waits, is polled later, or
  // finished): the owner wakes Tick, which knows when each is due again.
  std::function<void()> on_idle;
  RunnerMetrics metrics = {};
  // A line per step started and ended and per operation ended, with the
  // operation's id, kind and step as fields; null: none.
  const Logger* log = nullptr;
};

class OperationRunner {
 public:
  OperationRunner(Store& store, const OperationKinds& kinds, const Clock& clock, RunnerOptions options);
  ~OperationRunner();
  // Starts the workers (RunnerOptions::workers); the constructor does too.
  void Start();
  // Lets the operations being advanced end their step and drops the rest
  // (they resume from their records); Tick does nothing until Start.
  void Stop();

  // Records a new operation of `kind` with its steps pending.
  Result<Operation> Create(std::string id, const std::string& kind, std::string workload);
  // The steps of a new operation of `kind`, all pending; InvalidArgument for
  // an unknown kind.
  Result<std::vector<StepRecord>> StepsOf(const std::string& kind) const;
  // The fence of the lease this runner holds now (nullopt: none); writes
  // that start operations carry it too.
  std::optional<Fence> CurrentFence();

  // One pass, for the Scheduler: holds (or takes) the lease, then advances
  // every unfinished operation that is due and not being advanced already,
  // most urgent first: each runs its steps until it finishes or waits (on
  // the workers, or here with none). Returns when it is next due: the
  // earliest waiting operation, or a lease renewal.
  std::optional<MonoTime> Tick();
  // Operations being advanced on the workers now.
  size_t InFlight() const;
  // Operations this runner keeps a wait, a priority or a poll for: only
  // unfinished ones (those another replica finished are forgotten at the
  // next pass this runner leads).
  size_t OperationsRemembered() const;
  // The epoch of the lease this runner held at its last pass; 0: it did not
  // hold it (another broker leads, or the store was away).
  long long LeaseEpoch() const { return lease_epoch_.load(std::memory_order_relaxed); }

  OperationStore& operations() { return operations_; }

 private:
  // Runs `op` on until it finishes, waits or a write is refused.
  Status Advance(Operation op, const Fence& fence, std::optional<MonoTime>& next);
  // The last write: state, reason and the kind's finish records.
  Status Finish(Operation& op, OperationState state, std::string reason, const OperationKind* kind, const Fence& fence,
                std::vector<AuditEvent> events);
  AuditEvent StepEvent(const Operation& op, const StepRecord& step, const char* kind, std::string summary) const;
  // A step's attempt ended as `out` says: its duration counted, its line logged.
  void StepEnded(const Operation& op, const StepRecord& step, const StepOutcome& out) const;

  // The unfinished operations due now with their priority, most urgent
  // first; `next` learns when the others are due.
  std::vector<std::pair<int, Operation>> Ready(const std::vector<std::string>& ids, MonoTime now, std::optional<MonoTime>& next);
  void WaitUntil(const std::string& id, MonoTime when, std::optional<MonoTime>& next);
  // Forgets the waits, priorities and polls of operations not among
  // `unfinished` (the whole list): finished by another replica.
  void ForgetFinished(const std::vector<std::string>& unfinished);
  // RunnerOptions::priority of an unfinished operation, asked once.
  int PriorityOf(const Operation& op);
  // Whether `share` may take another worker now (under mu_).
  bool ShareHasRoom(const std::string& share) const;

  Store& store_;
  OperationStore operations_;
  const OperationKinds& kinds_;
  const Clock& clock_;
  RunnerOptions options_;
  mutable std::mutex mu_;  // guards the maps and sets below and stopped_
  std::map<std::string, MonoTime> waiting_until_;  // operation id -> when to look again
  std::set<std::string> polling_;    // operations whose running step said Running in this process
  std::set<std::string> in_flight_;  // operations on a worker now
  std::map<std::string, std::string> in_share_;  // of those, the ones with a share -> its name
  std::map<std::string, int> share_load_;        // share name -> its operations on a worker now
  std::map<std::string, int> priorities_;  // unfinished operation -> its priority
  bool stopped_ = false;
  std::atomic<long long> lease_epoch_{0};
  std::unique_ptr<WorkerPool> pool_;  // last: its workers end before what they use
};

}  // namespace icb
