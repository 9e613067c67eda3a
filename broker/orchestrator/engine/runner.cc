#include "broker/orchestrator/engine/runner.h"

#include "broker/core/call_epoch.h"
#include "broker/core/call_priority.h"
#include "broker/core/json_writer.h"

#include <algorithm>
#include <tuple>

namespace icb {

Result<std::vector<StepRecord>> OperationRunner::StepsOf(const std::string& kind) const {
  const OperationKind* k = kinds_.Find(kind);
  if (!k) return InvalidArgument("no operation kind \"" + kind + "\"");
  std::vector<StepRecord> steps;
  for (const auto& name : k->steps) steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, nlohmann::json::object()});
  return steps;
}

Result<RunnerMetrics> DeclareRunnerMetrics(MetricRegistry& registry) {
  RunnerMetrics m;
  ICB_ASSIGN_OR_RETURN(m.ended, registry.AddCounter("icbroker_operations_total", "Operations ended, by kind and final state.", {"kind", "state"}));
  ICB_ASSIGN_OR_RETURN(m.operation_seconds,
                       registry.AddHistogram("icbroker_operation_duration_seconds", "Operations from creation to their end, by kind and final state.",
                                             LongDurationBuckets(), {"kind", "state"}));
  ICB_ASSIGN_OR_RETURN(m.step_seconds, registry.AddHistogram("icbroker_operation_step_duration_seconds",
                                                             "One attempt of an operation's step, from its start to its end, by kind, step and outcome "
                                                             "(succeeded, failed, waited).",
                                                             LongDurationBuckets(), {"kind", "step", "outcome"}));
  return m;
}

namespace {

double Seconds(TimePoint from, TimePoint to) { return std::chrono::duration<double>(to - from).count(); }

}  // namespace

Result<Operation> OperationRunner::Create(std::string id, const std::string& kind, std::string workload) {
  ICB_ASSIGN_OR_RETURN(auto steps, StepsOf(kind));
  Operation op;
  op.id = std::move(id);
  op.kind = kind;
  op.workload = std::move(workload);
  op.created_at = op.updated_at = clock_.Now();
  op.steps = std::move(steps);
  ICB_RETURN_IF_ERROR(operations_.Create(op, nullptr));
  return op;
}

std::optional<Fence> OperationRunner::CurrentFence() {
  auto lease = store_.AcquireLease(options_.lease, options_.holder, options_.lease_ttl);
  if (!lease.ok() || !lease->has_value()) return std::nullopt;
  return Fence{options_.lease, (*lease)->epoch};
}

OperationRunner::OperationRunner(Store& store, const OperationKinds& kinds, const Clock& clock, RunnerOptions options)
    : store_(store), operations_(store), kinds_(kinds), clock_(clock), options_(std::move(options)) {
  Start();
}

OperationRunner::~OperationRunner() { Stop(); }

void OperationRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = false;
  if (options_.workers > 0 && !pool_) pool_ = std::make_unique<WorkerPool>(options_.workers);
}

void OperationRunner::Stop() {
  std::unique_ptr<WorkerPool> pool;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    pool = std::move(pool_);
  }
  pool.reset();  // joins (outside the lock the workers take last): none runs after this
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_.clear();
    in_share_.clear();
    share_load_.clear();
  }
  // Nothing of this runner writes again: a clean stop (SIGTERM, a rolling
  // update) hands the lease over now instead of after it lapses. Best
  // effort: a store away now leaves it to lapse, as after a crash.
  if (const long long epoch = lease_epoch_.exchange(0); epoch > 0) (void)store_.ReleaseLease(options_.lease, Lease{options_.holder, epoch});
}

bool OperationRunner::ShareHasRoom(const std::string& share) const {
  const int shared = static_cast<int>(in_share_.size());
  if (shared >= std::max(1, options_.workers - options_.reserved_workers)) return false;
  if (options_.workers_per_share <= 0) return true;
  auto it = share_load_.find(share);
  return it == share_load_.end() || it->second < options_.workers_per_share;
}

size_t OperationRunner::InFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.size();
}

size_t OperationRunner::OperationsRemembered() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string_view> ids;
  for (const auto& [id, when] : waiting_until_) ids.insert(id);
  for (const auto& [id, priority] : priorities_) ids.insert(id);
  for (const auto& id : polling_) ids.insert(id);
  return ids.size();
}

void OperationRunner::ForgetFinished(const std::vector<std::string>& unfinished) {
  std::vector<std::string_view> sorted(unfinished.begin(), unfinished.end());
  if (!std::is_sorted(sorted.begin(), sorted.end())) std::sort(sorted.begin(), sorted.end());  // Unfinished() is already
  auto finished = [&](const std::string& id) { return !std::binary_search(sorted.begin(), sorted.end(), std::string_view(id)); };
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(waiting_until_, [&](const auto& entry) { return finished(entry.first); });
  std::erase_if(priorities_, [&](const auto& entry) { return finished(entry.first); });
  std::erase_if(polling_, finished);
}

void OperationRunner::WaitUntil(const std::string& id, MonoTime when, std::optional<MonoTime>& next) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_until_[id] = when;
  next = next ? std::min(*next, when) : when;
}

int OperationRunner::PriorityOf(const Operation& op) {
  if (!options_.priority) return 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = priorities_.find(op.id); it != priorities_.end()) return it->second;
  }
  // Read once per operation (its workload's document), not on every pass.
  const int p = options_.priority(op);
  std::lock_guard<std::mutex> lock(mu_);
  priorities_[op.id] = p;
  return p;
}

std::vector<std::pair<int, Operation>> OperationRunner::Ready(const std::vector<std::string>& ids, MonoTime now, std::optional<MonoTime>& next) {
  // Those a worker goes on with are not read at all; the rest are read a
  // batch per round trip. A pass comes after every operation that ends, and
  // with thousands waiting their turn one read each was most of the
  // broker's time while they were placed.
  std::vector<std::string> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids)
      if (!in_flight_.count(id)) candidates.push_back(id);
  }
  std::vector<std::pair<int, Operation>> ready;
  constexpr size_t kBatch = 256;
  for (size_t from = 0; from < candidates.size(); from += kBatch) {
    std::vector<std::string> part(candidates.begin() + static_cast<std::ptrdiff_t>(from),
                                  candidates.begin() + static_cast<std::ptrdiff_t>(std::min(candidates.size(), from + kBatch)));
    auto ops = operations_.GetMany(part);
    if (!ops.ok()) {
      // One record that does not parse holds back only itself.
      ops = std::vector<std::optional<Operation>>();
      for (const auto& id : part)
        if (auto one = operations_.Get(id); one.ok()) ops->push_back(std::move(*one));
    }
    for (auto& op : *ops) {
      if (!op) continue;
      {
        // Only Tick posts to workers (the scheduler never runs it twice at
        // once): nothing filtered out above has been posted since.
        std::lock_guard<std::mutex> lock(mu_);
        if (auto w = waiting_until_.find(op->id); w != waiting_until_.end()) {
          // A waiting operation is looked at again when due, or at once when
          // someone asked to cancel it.
          if (w->second > now && !op->cancel_requested) {
            next = std::min(*next, w->second);
            continue;
          }
          waiting_until_.erase(w);
        }
      }
      const int priority = PriorityOf(*op);  // takes mu_ itself
      ready.emplace_back(priority, std::move(*op));
    }
  }
  // Most urgent first, then oldest: a priority-1 workload's recovery never
  // queues behind a priority-3 one's.
  std::stable_sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.created_at, a.second.id) < std::tie(b.first, b.second.created_at, b.second.id);
  });
  return ready;
}

std::optional<MonoTime> OperationRunner::Tick() {
  const MonoTime now = clock_.Monotonic();
  // Renew at a third of the lease: two renewals may fail before it lapses.
  std::optional<MonoTime> next = now + options_.lease_ttl / 3;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return std::nullopt;
  }
  std::optional<Fence> fence = CurrentFence();
  lease_epoch_.store(fence ? fence->epoch : 0, std::memory_order_relaxed);
  // Another broker runs them, or the store is away: try again soon (a
  // tenth of the lease; Kubernetes' leader election retries every 2 s of
  // 15), so that a leader killed mid-disaster is replaced as its lease
  // lapses, not up to a renewal period later.
  if (!fence) return now + options_.lease_ttl / 10;
  auto ids = operations_.Unfinished();
  if (!ids.ok()) return next;
  ForgetFinished(*ids);
  for (auto& [priority, op] : Ready(*ids, now, next)) {
    if (options_.workers <= 0) {
      // A refused write (lost lease, lost race) ends this pass for the
      // operation; the records say where to pick it up.
      CallPriority urgency(priority);
      CallEpoch fencing(fence->epoch);
      (void)Advance(std::move(op), *fence, next);
      continue;
    }
    // Posted under the lock Stop takes to end the pool: never to a pool
    // being joined.
    const std::optional<std::string> share = options_.share ? options_.share(op) : std::nullopt;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !pool_) break;
    if (share) {
      // Over its share: left for a pass after one of its share leaves (on_idle).
      if (!ShareHasRoom(*share)) continue;
      in_share_[op.id] = *share;
      ++share_load_[*share];
    }
    in_flight_.insert(op.id);
    pool_->Post(priority, [this, id = op.id, f = *fence, priority = priority] {
      // Its provider calls queue at their providers' gates by its priority,
      // and carry the epoch its records are fenced with.
      CallPriority urgency(priority);
      CallEpoch fencing(f.epoch);
      // Read again: it may have waited in the queue while a cancel came.
      auto fresh = operations_.Get(id);
      if (fresh.ok() && fresh->has_value() && !Finished((*fresh)->state)) {
        std::optional<MonoTime> ignored = clock_.Monotonic();  // Tick reads the waits again when woken
        (void)Advance(std::move(**fresh), f, ignored);
      }
      {
        std::lock_guard<std::mutex> done(mu_);
        in_flight_.erase(id);
        if (auto held = in_share_.find(id); held != in_share_.end()) {
          if (--share_load_[held->second] <= 0) share_load_.erase(held->second);
          in_share_.erase(held);
        }
      }
      if (options_.on_idle) options_.on_idle();
    });
  }
  return next;
}

AuditEvent OperationRunner::StepEvent(const Operation& op, const StepRecord& step, const char* kind, std::string summary) const {
  // One event per attempt and outcome: the same write retried records it once.
  return MakeEvent(op.id + "/" + step.name + "/" + std::to_string(step.attempts) + "/" + kind, kind, clock_.Now(),
                   {op.workload, op.id, op.target.empty() ? op.source : op.target}, std::move(summary), step.detail);
}

Status OperationRunner::Finish(Operation& op, OperationState state, std::string reason, const OperationKind* kind, const Fence& fence,
                               std::vector<AuditEvent> events) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    polling_.erase(op.id);
    priorities_.erase(op.id);
  }
  op.state = state;
  op.reason = std::move(reason);
  op.updated_at = clock_.Now();
  Along along;
  if (kind && kind->finish) {
    ICB_ASSIGN_OR_RETURN(along, kind->finish(op));
  }
  for (auto& e : events) along.events.push_back(std::move(e));
  Status written = operations_.Update(op, &fence, along);
  if (!written.ok()) return written;
  const std::string_view final_state = OperationStateName(state);
  if (options_.metrics.ended) {
    options_.metrics.ended->With({op.kind, final_state}).Inc();
    options_.metrics.operation_seconds->With({op.kind, final_state}).Observe(Seconds(op.created_at, op.updated_at));
  }
  if (options_.log) {
    std::vector<LogField> fields = {{"operation", op.id}, {"kind", op.kind}, {"state", std::string(final_state)},
                                    {"seconds", FormatDecimal(Seconds(op.created_at, op.updated_at), 3)}};
    if (!op.reason.empty()) fields.push_back({"reason", op.reason});
    options_.log->Log(state == OperationState::kFailed ? LogLevel::kWarn : LogLevel::kInfo, "operation " + std::string(final_state), fields);
  }
  return written;
}

void OperationRunner::StepEnded(const Operation& op, const StepRecord& step, const StepOutcome& out) const {
  const char* outcome = out.kind == StepOutcome::Kind::kDone ? "succeeded" : out.kind == StepOutcome::Kind::kWait ? "waited" : "failed";
  const double took = step.started_at && step.ended_at ? Seconds(*step.started_at, *step.ended_at) : 0;
  if (options_.metrics.step_seconds && step.started_at) options_.metrics.step_seconds->With({op.kind, step.name, outcome}).Observe(took);
  if (!options_.log) return;
  std::vector<LogField> fields = {{"operation", op.id}, {"kind", op.kind}, {"step", step.name}, {"outcome", outcome}, {"seconds", FormatDecimal(took, 3)}};
  if (!out.reason.empty()) fields.push_back({"reason", out.reason});
  options_.log->Log(out.kind == StepOutcome::Kind::kDone || out.kind == StepOutcome::Kind::kWait ? LogLevel::kInfo : LogLevel::kWarn,
                    "step " + std::string(outcome), fields);
}

Status OperationRunner::Advance(Operation op, const Fence& fence, std::optional<MonoTime>& next) {
  const OperationKind* kind = kinds_.Find(op.kind);
  if (!kind) return Finish(op, OperationState::kFailed, "no operation kind \"" + op.kind + "\" in this broker", nullptr, fence, {});
  for (size_t i = 0; i < op.steps.size(); ++i) {
    if (op.steps[i].state == StepState::kSucceeded) continue;
    if (op.cancel_requested) return Finish(op, OperationState::kCancelled, "cancelled on request before " + op.steps[i].name, kind, fence, {});
    StepRecord& step = op.steps[i];
    // A step that runs on in the background is asked again, not started
    // again (a broker that restarted does start it again: a new attempt).
    bool polled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      polled = polling_.erase(op.id) > 0 && step.state == StepState::kRunning;
    }
    if (!polled) {
      // Before it runs: the record says it started (and how often).
      step.state = StepState::kRunning;
      step.started_at = clock_.Now();
      step.ended_at.reset();
      ++step.attempts;
      op.state = OperationState::kRunning;
      op.reason.clear();
      op.updated_at = clock_.Now();
      ICB_RETURN_IF_ERROR(operations_.Update(
          op, &fence, Along{{}, {StepEvent(op, step, "step_started", op.kind + ": " + step.name + " started (attempt " + std::to_string(step.attempts) + ")")}}));
      if (options_.log)
        options_.log->Log(LogLevel::kInfo, "step started",
                          {{"operation", op.id}, {"kind", op.kind}, {"step", step.name}, {"attempt", std::to_string(step.attempts)}});
    }
    op.fence = fence;
    StepOutcome out = kind->run(step.name, op);
    if (out.kind == StepOutcome::Kind::kRunning) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        polling_.insert(op.id);
      }
      WaitUntil(op.id, clock_.Monotonic() + out.retry_after, next);
      if (!out.along.writes.empty() || !out.along.events.empty()) ICB_RETURN_IF_ERROR(operations_.Update(op, &fence, out.along));
      return Status::Ok();
    }
    // After it ends.
    step.ended_at = clock_.Now();
    op.updated_at = clock_.Now();
    StepEnded(op, step, out);
    if (out.target) op.target = *out.target;
    Along along = std::move(out.along);
    switch (out.kind) {
      case StepOutcome::Kind::kDone:
        step.state = StepState::kSucceeded;
        step.detail = std::move(out.detail);
        along.events.push_back(StepEvent(op, step, "step_succeeded", op.kind + ": " + step.name + " succeeded"));
        ICB_RETURN_IF_ERROR(operations_.Update(op, &fence, along));
        continue;
      case StepOutcome::Kind::kWait:
        step.state = StepState::kPending;
        op.state = OperationState::kWaiting;
        op.reason = out.reason;
        ICB_RETURN_IF_ERROR(operations_.Update(op, &fence, along));
        WaitUntil(op.id, clock_.Monotonic() + out.retry_after, next);
        return Status::Ok();
      case StepOutcome::Kind::kRetry: {
        auto from = std::find_if(op.steps.begin(), op.steps.end(), [&](const StepRecord& s) { return s.name == out.restart_from; });
        if (from == op.steps.end() || from - op.steps.begin() > static_cast<long>(i)) {
          return Finish(op, OperationState::kFailed, step.name + ": cannot go back to " + out.restart_from, kind, fence, {});
        }
        step.state = StepState::kFailed;
        step.detail = std::move(out.detail);
        along.events.push_back(StepEvent(op, step, "step_failed", op.kind + ": " + step.name + " failed: " + out.reason + "; again from " + out.restart_from));
        // The steps from there are to do again; their records keep their
        // attempts and last detail.
        const size_t restart = static_cast<size_t>(from - op.steps.begin());
        for (size_t k = restart; k < op.steps.size(); ++k) op.steps[k].state = StepState::kPending;
        ICB_RETURN_IF_ERROR(operations_.Update(op, &fence, along));
        i = restart - 1;  // the loop's ++ lands on `restart` (unsigned wrap when 0 is defined)
        continue;
      }
      case StepOutcome::Kind::kRunning:
        break;  // handled above
      case StepOutcome::Kind::kFail: {
        step.state = StepState::kFailed;
        step.detail = std::move(out.detail);
        along.events.push_back(StepEvent(op, step, "step_failed", op.kind + ": " + step.name + " failed: " + out.reason));
        // The step's own writes go first; the finish writes read after them.
        if (!along.writes.empty()) {
          ICB_RETURN_IF_ERROR(operations_.Update(op, &fence, along));
          along = {};
        }
        return Finish(op, OperationState::kFailed, step.name + ": " + out.reason, kind, fence, std::move(along.events));
      }
    }
  }
  return Finish(op, OperationState::kSucceeded, "", kind, fence, {});
}

}  // namespace icb
