#include "broker/orchestrator/kinds/burst.h"

#include <algorithm>
#include <cmath>

#include "broker/core/time.h"
#include "broker/orchestrator/providers/split_weights.h"
#include "broker/orchestrator/state/burst.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

namespace {


class BurstSteps {
 public:
  explicit BurstSteps(const WorkloadKindDeps& deps) : d_(deps) {}

  StepOutcome Run(const std::string& step, const Operation& op) {
    auto w = LoadWorkload(d_.catalog, op.workload);
    if (!w.ok()) return StepOutcome::Fail("workload " + op.workload + ": " + w.status().message());
    if (!w->split) return StepOutcome::Fail("workload " + op.workload + " has no split to shift");
    const bool burst = op.kind == "burst";
    if (step == "choose_target") return ChooseSecondary(op, *w);
    if (step == "ensure_capacity") {
      return EnsureCapacityStep(d_, op, *w, [](const std::string& why) { return StepOutcome::Retry(why, "choose_target"); });
    }
    if (step == "verify") return VerifyStep(d_, op, *w, true);
    if (step == "shift_traffic") {
      // A burst sends the share to its secondary; a scale back brings
      // every weight home to where the workload runs (op.target).
      const std::string home = burst ? op.source : op.target;
      if (!w->split->servers.count(home)) {
        if (burst) return StepOutcome::Fail("the split names no server for " + home);
        return StepOutcome::Done({{"changed", false}, {"reason", "the split names no server for " + home + ", where the workload runs now"}});
      }
      const double share = op.request.value("share_percent", 0.0);
      return ShiftTraffic(op, *w, burst ? SplitWeights(*w, home, op.target, share) : SplitWeights(*w, home, "", 0));
    }
    if (step == "release_capacity") return ReleaseCapacity(op, *w);
    return StepOutcome::Fail("no step " + step);
  }

  Result<Along> Finish(const Operation& op) {
    Along along;
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, op.workload));
    ICB_ASSIGN_OR_RETURN(auto found, GetBurst(d_.store, op.workload));
    BurstRecord rec = found.value_or(BurstRecord{});
    const TimePoint now = d_.clock.Now();
    const bool ok = op.state == OperationState::kSucceeded;
    const double window_s = op.request.value("window_s", 60.0);
    const auto retry_at = now + std::chrono::duration_cast<Millis>(std::chrono::duration<double>(window_s));
    if (op.kind == "burst") {
      const StepRecord* chose = op.Step("choose_target");
      const StepRecord* capacity = op.Step("ensure_capacity");
      // Borrowed, or perhaps borrowed by a run that did not record its end.
      const bool borrowed = capacity && capacity->state != StepState::kPending;
      if (ok || borrowed) {
        rec.source = op.source;
        rec.secondary = op.target;
        rec.instances_before = chose ? chose->detail.value("instances_before", 0) : 0;
      }
      rec.bursting = ok;
      rec.calm_since.reset();
      if (ok) rec.since = now;
      else rec.not_before = retry_at;  // not again before a window has passed
    } else {
      if (ok) {
        along.events.push_back(MakeEvent(op.id + "/burst_ended", "burst_ended", now, {op.workload, op.id, rec.secondary},
                                         "workload " + op.workload + " is back on " + op.target + " alone; " + rec.secondary +
                                             " scaled back to " + std::to_string(rec.instances_before) + " instances",
                                         {{"since", OptionalTimeJson(rec.since)}, {"secondary", rec.secondary},
                                          {"reason", op.request.value("reason", "")}}));
        const long long version = rec.version;
        rec = BurstRecord{};
        rec.version = version;
      } else {
        rec.not_before = retry_at;
      }
    }
    rec.operation = op.id;
    along.writes.push_back(BurstWrite(op.workload, rec));
    if (status && status->operation == op.id) {
      WorkloadStatus s = *status;
      s.operation.clear();
      s.state = rec.bursting ? "bursting" : "running";
      along.writes.push_back(WorkloadStatusWrite(op.workload, s));
    }
    return along;
  }

 private:
  StepOutcome ChooseSecondary(const Operation& op, const Workload& w) {
    const std::set<std::string> tried = TriedTargets(op, true);
    std::set<std::string> excluded = tried;
    excluded.insert(op.source);
    json given_back = GiveBackPassedOver(d_, op, w);
    auto candidates = EvaluateCandidates(d_, w, excluded);
    if (!candidates.ok()) return TransientStep(d_, op, "choose_target", candidates.status(), StepOutcome::Fail(candidates.status().message()));
    // Only where the split can send traffic.
    std::vector<Candidate> reachable;
    for (auto& c : *candidates)
      if (w.split->servers.count(c.provider)) reachable.push_back(std::move(c));
    json detail = {{"tried", json(std::vector<std::string>(tried.begin(), tried.end()))}, {"candidates", CandidatesToJson(reachable)}};
    if (!given_back.empty()) detail["given_back"] = std::move(given_back);
    const Candidate* chosen = nullptr;
    for (const auto& c : reachable)
      if (c.fits()) {
        chosen = &c;
        break;
      }
    const std::string why = "no secondary in the split can take " + std::to_string(w.instances) + " instances of " + w.service;
    json extra = json::object();
    if (chosen) {
      // What the secondary runs of the service before anything is borrowed:
      // recorded here, before ensure_capacity scales it, because an
      // ensure_capacity run again after a crash would see its own instances.
      auto before = InstancesAt(d_, chosen->provider, w.service);
      if (!before) return TransientStep(d_, op, "choose_target", Unavailable(chosen->provider + "'s compute did not report what runs there"),
                                        StepOutcome::Fail(chosen->provider + "'s compute did not report what runs there"));
      extra["instances_before"] = *before;
    }
    return ChooseTargetOutcome(d_, op, w, chosen, "bursts to", why, std::move(detail), extra);
  }

  StepOutcome ShiftTraffic(const Operation& op, const Workload& w, const std::map<std::string, int>& weights) {
    auto applied = ApplySplitWeights(d_.adapters, w, weights);
    if (!applied.ok()) {
      StepOutcome give_up = StepOutcome::Fail(applied.status().message());
      return applied.status().code() == StatusCode::kUnavailable ? TransientStep(d_, op, "shift_traffic", applied.status(), give_up) : give_up;
    }
    return StepOutcome::Done(*applied);
  }

  StepOutcome ReleaseCapacity(const Operation& op, const Workload& w) {
    const int back_to = op.request.value("instances_before", 0);
    if (op.source == op.target) {
      return StepOutcome::Done({{"provider", op.source}, {"service", w.service}, {"instances_before", back_to}, {"released", false},
                                {"reason", "the workload runs on " + op.source + " now"}});
    }
    return ReleaseCapacityStep(d_, op, w, op.source, back_to);
  }

  WorkloadKindDeps d_;
};

}  // namespace

namespace {

OperationKind BurstStepsKind(const WorkloadKindDeps& deps, std::vector<std::string> step_names) {
  auto steps = std::make_shared<BurstSteps>(deps);
  return {std::move(step_names), [steps](const std::string& step, const Operation& op) { return steps->Run(step, op); },
          [steps](const Operation& op) { return steps->Finish(op); }};
}

}  // namespace

OperationKind BurstKind(const WorkloadKindDeps& deps) { return BurstStepsKind(deps, kBurstSteps); }
OperationKind ScaleBackKind(const WorkloadKindDeps& deps) { return BurstStepsKind(deps, kScaleBackSteps); }

}  // namespace icb
