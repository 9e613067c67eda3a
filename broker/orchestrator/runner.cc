#include "broker/orchestrator/runner.h"

namespace icb {

Result<Operation> OperationRunner::Create(std::string id, const std::string& kind, std::string workload) {
  const OperationKind* k = kinds_.Find(kind);
  if (!k) return InvalidArgument("no operation kind \"" + kind + "\"");
  Operation op;
  op.id = std::move(id);
  op.kind = kind;
  op.workload = std::move(workload);
  op.created_at = op.updated_at = clock_.Now();
  for (const auto& name : k->steps) op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, nlohmann::json::object()});
  ICB_RETURN_IF_ERROR(operations_.Create(op, nullptr));
  return op;
}

std::optional<MonoTime> OperationRunner::Tick() {
  const MonoTime now = clock_.Monotonic();
  // Renew at a third of the lease: two renewals may fail before it lapses.
  std::optional<MonoTime> next = now + options_.lease_ttl / 3;
  auto lease = store_.AcquireLease(options_.lease, options_.holder, options_.lease_ttl);
  if (!lease.ok() || !lease->has_value()) return next;  // another broker runs them, or the store is away: try again
  const Fence fence{options_.lease, (*lease)->epoch};
  auto ids = operations_.Unfinished();
  if (!ids.ok()) return next;
  for (const auto& id : *ids) {
    if (auto w = waiting_until_.find(id); w != waiting_until_.end()) {
      if (w->second > now) {
        next = std::min(*next, w->second);
        continue;
      }
      waiting_until_.erase(w);
    }
    auto op = operations_.Get(id);
    if (!op.ok() || !op->has_value()) continue;
    // A refused write (lost lease, lost race) ends this pass for the
    // operation; the records say where to pick it up.
    (void)Advance(std::move(**op), fence, next);
  }
  return next;
}

Status OperationRunner::Advance(Operation op, const Fence& fence, std::optional<MonoTime>& next) {
  const OperationKind* kind = kinds_.Find(op.kind);
  if (!kind) {
    op.state = OperationState::kFailed;
    op.reason = "no operation kind \"" + op.kind + "\" in this broker";
    op.updated_at = clock_.Now();
    return operations_.Update(op, &fence);
  }
  for (size_t i = 0; i < op.steps.size(); ++i) {
    if (op.steps[i].state == StepState::kSucceeded) continue;
    StepRecord& step = op.steps[i];
    // Before it runs: the record says it started (and how often).
    step.state = StepState::kRunning;
    step.started_at = clock_.Now();
    ++step.attempts;
    op.state = OperationState::kRunning;
    op.updated_at = clock_.Now();
    ICB_RETURN_IF_ERROR(operations_.Update(op, &fence));
    StepOutcome out = kind->run(step.name, op);
    // After it ends.
    step.ended_at = clock_.Now();
    op.updated_at = clock_.Now();
    switch (out.kind) {
      case StepOutcome::Kind::kDone:
        step.state = StepState::kSucceeded;
        step.detail = std::move(out.detail);
        ICB_RETURN_IF_ERROR(operations_.Update(op, &fence));
        continue;
      case StepOutcome::Kind::kWait:
        step.state = StepState::kPending;
        op.state = OperationState::kWaiting;
        op.reason = out.reason;
        ICB_RETURN_IF_ERROR(operations_.Update(op, &fence));
        waiting_until_[op.id] = clock_.Monotonic() + out.retry_after;
        next = std::min(*next, waiting_until_[op.id]);
        return Status::Ok();
      case StepOutcome::Kind::kFail:
        step.state = StepState::kFailed;
        op.state = OperationState::kFailed;
        op.reason = step.name + ": " + out.reason;
        return operations_.Update(op, &fence);
    }
  }
  op.state = OperationState::kSucceeded;
  op.reason.clear();
  op.updated_at = clock_.Now();
  return operations_.Update(op, &fence);
}

}  // namespace icb
