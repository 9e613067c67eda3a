#include "broker/orchestrator/kinds/recovery.h"

#include <algorithm>

#include "broker/core/time.h"
#include "broker/orchestrator/kinds/recovery_plan.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/ranking/ranker.h"

namespace icb {

using nlohmann::json;

namespace {

using Planned = PlannedWorkload;

class RecoverySteps {
 public:
  RecoverySteps(const WorkloadKindDeps& deps, StartFailoverFn start) : d_(deps), start_(std::move(start)) {}

  StepOutcome Run(const std::string& step, const Operation& op) {
    auto plan = Plan(op);
    if (!plan.ok()) return StepOutcome::Wait("plan: " + plan.status().message(), d_.wait_recheck);
    if (step == "choose_targets") return ChooseTargets(op, *plan);
    if (step == "failovers") return StartChildren(op, *plan);
    if (step == "await") return Await(op, *plan);
    return StepOutcome::Fail("no step " + step);
  }

 private:
  static std::string ChildKey(const Operation& op, const std::string& workload) { return "recovery/" + op.id + "/" + workload; }
  // The key StartFailover scopes it under (see Orchestrator::StartFailover).
  static std::string ScopedChildKey(const Operation& op, const std::string& workload) {
    return "failover/" + workload + "/" + ChildKey(op, workload);
  }

  // Every workload of the recovery in priority order, each with where it
  // stands now: moving (its child failover exists), assigned a target with
  // room reserved, waiting, or unplaced.
  Result<std::vector<Planned>> Plan(const Operation& op) {
    OperationStore operations(d_.store);
    std::vector<Planned> plan;
    for (const auto& id : op.workloads) {
      auto w = LoadWorkload(d_.catalog, id);
      if (!w.ok()) {
        Planned gone;
        gone.workload.id = id;
        gone.state = "unplaced";
        gone.why = "workload " + id + ": " + w.status().message();
        plan.push_back(std::move(gone));
        continue;
      }
      Planned p;
      p.workload = std::move(*w);
      ICB_ASSIGN_OR_RETURN(auto child, operations.FindByKey(ScopedChildKey(op, id)));
      if (child) {
        ICB_ASSIGN_OR_RETURN(auto child_op, operations.Get(*child));
        p.state = "moving";
        p.child = *child;
        p.target = child_op ? child_op->target : "";
        const StepRecord* capacity = child_op ? child_op->Step("ensure_capacity") : nullptr;
        p.scaled = capacity && capacity->state == StepState::kSucceeded;
      } else {
        ICB_RETURN_IF_ERROR(Elsewhere(op, p));
      }
      plan.push_back(std::move(p));
    }
    SortForRecovery(plan);
    const auto waited = std::chrono::duration<double>(d_.clock.Now() - op.created_at).count();
    ICB_RETURN_IF_ERROR(AssignTargets(d_, plan, {op.source}, waited));
    return plan;
  }

  // A workload another operation moved off the source (a manual failover,
  // a second recovery a restarted broker's detector started) is not moved
  // again; one another operation holds waits for it to end.
  Status Elsewhere(const Operation& op, Planned& p) {
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, p.workload.id));
    if (!status) return Status::Ok();
    if (!status->operation.empty()) {
      p.state = "busy";
      p.why = "operation " + status->operation + " is running for it";
    } else if (status->placement != op.source) {
      p.state = "moved";
      p.target = status->placement;
      p.why = "runs on " + status->placement + " already";
    }
    return Status::Ok();
  }

  json PlanToJson(const std::vector<Planned>& plan) const {
    json out = json::array();
    for (const auto& p : plan) {
      json e = {{"workload", p.workload.id}, {"priority", p.workload.priority},
                {"recovery_class", p.workload.recovery_class == RecoveryClass::kQuality ? "quality" : "fast"}, {"state", p.state}};
      e["target"] = p.target.empty() ? json(nullptr) : json(p.target);
      if (!p.child.empty()) e["operation"] = p.child;
      if (!p.why.empty()) e["why"] = p.why;
      if (!p.candidates.empty()) e["candidates"] = CandidatesToJson(p.candidates);
      out.push_back(std::move(e));
    }
    return out;
  }

  AuditEvent Event(const Operation& op, const Planned& p, const char* kind, std::string summary) const {
    json inputs = {{"priority", p.workload.priority}, {"candidates", CandidatesToJson(p.candidates)}};
    if (!p.why.empty()) inputs["why"] = p.why;
    return MakeEvent(op.id + "/" + kind + "/" + p.workload.id, kind, d_.clock.Now(),
                     {p.workload.id, op.id, p.target.empty() ? op.source : p.target}, std::move(summary), std::move(inputs));
  }

  // Unplaced workloads: reported once each, and their status says so.
  void ReportUnplaced(const Operation& op, const std::vector<Planned>& plan, Along& along) {
    for (const auto& p : plan) {
      if (p.state != "unplaced") continue;
      along.events.push_back(Event(op, p, "unplaced", "workload " + p.workload.id + " (priority " + std::to_string(p.workload.priority) +
                                                          ") has no target: " + p.why));
      auto status = GetWorkloadStatus(d_.store, p.workload.id);
      if (status.ok() && *status && (*status)->operation.empty() && (*status)->state != "unplaced") {
        WorkloadStatus s = **status;
        s.state = "unplaced";
        along.writes.push_back(WorkloadStatusWrite(p.workload.id, s));
      }
    }
  }

  StepOutcome ChooseTargets(const Operation& op, const std::vector<Planned>& plan) {
    StepOutcome out = StepOutcome::Done({{"plan", PlanToJson(plan)}});
    for (const auto& p : plan) {
      if (p.state == "assigned")
        out.along.events.push_back(Event(op, p, "decision", "workload " + p.workload.id + " (priority " + std::to_string(p.workload.priority) +
                                                                ") goes to " + p.target));
      if (p.state == "waiting")
        out.along.events.push_back(Event(op, p, "decision", "workload " + p.workload.id + " (priority " + std::to_string(p.workload.priority) +
                                                                ") " + p.why));
    }
    ReportUnplaced(op, plan, out.along);
    return out;
  }

  // Starts the child failover of every assigned workload, in priority
  // order; a workload another operation holds is reported as such.
  json StartAssigned(const Operation& op, std::vector<Planned>& plan) {
    json started = json::array();
    for (auto& p : plan) {
      if (p.state != "assigned") continue;
      FailoverRequest r;
      r.to = p.target;
      r.idempotency_key = ChildKey(op, p.workload.id);
      r.trigger = "automatic";
      r.reason = "recovery " + op.id + " of " + op.source;
      r.detected_at = ParseRfc3339(op.request.value("detected_at", ""));
      auto child = start_(p.workload.id, r);
      if (child.ok()) {
        p.state = "moving";
        p.child = child->id;
        started.push_back({{"workload", p.workload.id}, {"operation", child->id}, {"target", p.target}});
      } else {
        started.push_back({{"workload", p.workload.id}, {"error", child.status().message()}});
      }
    }
    return started;
  }

  StepOutcome StartChildren(const Operation& op, std::vector<Planned> plan) {
    json started = StartAssigned(op, plan);
    return StepOutcome::Done({{"started", std::move(started)}, {"plan", PlanToJson(plan)}});
  }

  StepOutcome Await(const Operation& op, std::vector<Planned> plan) {
    // A waiting workload whose best target got room (or whose RTO ran out)
    // is assigned by the plan now: start it.
    (void)StartAssigned(op, plan);
    OperationStore operations(d_.store);
    int running = 0, waiting = 0;
    std::vector<std::string> failed, unplaced;
    for (const auto& p : plan) {
      if (p.state == "waiting" || p.state == "busy") ++waiting;
      if (p.state == "unplaced") unplaced.push_back(p.workload.id);
      if (p.state != "moving") continue;
      auto child = operations.Get(p.child);
      if (!child.ok() || !*child || !Finished((*child)->state)) {
        ++running;
      } else if ((*child)->state != OperationState::kSucceeded) {
        failed.push_back(p.workload.id + " (" + (*child)->reason + ")");
      }
    }
    if (running || waiting) {
      return StepOutcome::Wait(std::to_string(running) + " failovers running, " + std::to_string(waiting) +
                                   " workloads waiting for their best target or another operation",
                               d_.wait_recheck);
    }
    json detail = {{"plan", PlanToJson(plan)}};
    if (failed.empty() && unplaced.empty()) return StepOutcome::Done(detail);
    std::string why;
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    if (!unplaced.empty()) why = std::to_string(unplaced.size()) + " of " + std::to_string(plan.size()) + " workloads unplaced: " + list(unplaced);
    if (!failed.empty()) why += std::string(why.empty() ? "" : "; ") + "failed: " + list(failed);
    StepOutcome out = StepOutcome::Fail(why, detail);
    ReportUnplaced(op, plan, out.along);  // those whose RTO ran out while they waited
    return out;
  }

  WorkloadKindDeps d_;
  StartFailoverFn start_;
};

}  // namespace

OperationKind RecoveryKind(const WorkloadKindDeps& deps, StartFailoverFn start) {
  auto steps = std::make_shared<RecoverySteps>(deps, std::move(start));
  return {kRecoverySteps, [steps](const std::string& step, const Operation& op) { return steps->Run(step, op); }, {}};
}

}  // namespace icb
