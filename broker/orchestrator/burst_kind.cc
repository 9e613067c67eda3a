#include "broker/orchestrator/burst_kind.h"

#include <algorithm>
#include <cmath>

#include "broker/core/time.h"
#include "broker/orchestrator/split_weights.h"
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
        AuditEvent e;
        e.id = op.id + "/burst_ended";
        e.at = now;
        e.kind = "burst_ended";
        e.workload = op.workload;
        e.operation = op.id;
        e.provider = rec.secondary;
        e.summary = "workload " + op.workload + " is back on " + op.target + " alone; " + rec.secondary + " scaled back to " +
                    std::to_string(rec.instances_before) + " instances";
        e.inputs = {{"since", OptionalTimeJson(rec.since)}, {"secondary", rec.secondary}, {"reason", op.request.value("reason", "")}};
        along.events.push_back(std::move(e));
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
    const StepRecord* self = op.Step("choose_target");
    std::set<std::string> tried;
    if (self)
      for (const auto& t : self->detail.value("tried", json::array())) tried.insert(t.get<std::string>());
    if (!op.target.empty()) tried.insert(op.target);  // it did not take or did not answer
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
    AuditEvent decision = DecisionEvent(d_, op, w, chosen,
                                        chosen ? "workload " + w.id + " bursts to " + chosen->provider + " (rank " + std::to_string(chosen->rank) + ")"
                                               : "workload " + w.id + ": " + why,
                                        detail);
    if (!chosen) {
      StepOutcome out = StepOutcome::Fail(why, detail);
      out.along.events.push_back(std::move(decision));
      return out;
    }
    // What the secondary runs of the service before anything is borrowed:
    // recorded here, before ensure_capacity scales it, because an
    // ensure_capacity run again after a crash would see its own instances.
    auto before = InstancesAt(d_, chosen->provider, w.service);
    if (!before) return TransientStep(d_, op, "choose_target", Unavailable(chosen->provider + "'s compute did not report what runs there"),
                                      StepOutcome::Fail(chosen->provider + "'s compute did not report what runs there"));
    detail["instances_before"] = *before;
    detail["target"] = chosen->provider;
    StepOutcome out = StepOutcome::Done(detail);
    out.target = chosen->provider;
    out.along.events.push_back(std::move(decision));
    return out;
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
    json detail = {{"provider", op.source}, {"service", w.service}, {"instances_before", back_to}};
    if (op.source == op.target) {
      detail["released"] = false;
      detail["reason"] = "the workload runs on " + op.source + " now";
      return StepOutcome::Done(detail);
    }
    auto compute = d_.adapters.Compute(op.source);
    if (!compute.ok()) return StepOutcome::Fail(compute.status().message());
    auto state = (*compute)->State();
    if (!state.ok()) return TransientStep(d_, op, "release_capacity", state.status(), StepOutcome::Fail(state.status().message()));
    const ServiceInstances* running = state->Find(w.service);
    const int now = running ? running->instances : 0;
    detail["instances"] = now;
    if (now <= back_to) {
      detail["released"] = false;  // nothing borrowed is left (a step run again after a crash)
      return StepOutcome::Done(detail);
    }
    Status scaled = (*compute)->Scale(w.service, back_to, op.id + "/scale");
    if (!scaled.ok()) return TransientStep(d_, op, "release_capacity", scaled, StepOutcome::Fail(scaled.message()));
    detail["released"] = true;
    return StepOutcome::Done(detail);
  }

  WorkloadKindDeps d_;
};

}  // namespace

std::string BurstKey(std::string_view workload) { return "icb:workload:" + std::string(workload) + ":burst"; }

Result<std::optional<BurstRecord>> GetBurst(Store& store, std::string_view workload) {
  ICB_ASSIGN_OR_RETURN(auto rec, store.GetVersioned(BurstKey(workload)));
  if (!rec) return std::optional<BurstRecord>();
  ICB_ASSIGN_OR_RETURN(json j, ParseJson(rec->value));
  BurstRecord r;
  r.bursting = j.value("bursting", false);
  r.source = j.value("source", "");
  r.secondary = j.value("secondary", "");
  r.instances_before = j.value("instances_before", 0);
  r.operation = j.value("operation", "");
  r.since = OptionalTimeFrom(j, "since");
  r.calm_since = OptionalTimeFrom(j, "calm_since");
  r.not_before = OptionalTimeFrom(j, "not_before");
  r.version = rec->version;
  return std::optional<BurstRecord>(std::move(r));
}

CasWrite BurstWrite(std::string_view workload, const BurstRecord& r) {
  json j = {{"bursting", r.bursting},        {"source", r.source},           {"secondary", r.secondary},
            {"instances_before", r.instances_before}, {"operation", r.operation}, {"since", OptionalTimeJson(r.since)},
            {"calm_since", OptionalTimeJson(r.calm_since)}, {"not_before", OptionalTimeJson(r.not_before)}};
  return {BurstKey(workload), r.version, j.dump(), {}, {}};
}

void RegisterBurstKinds(OperationKinds& kinds, const WorkloadKindDeps& deps) {
  auto steps = std::make_shared<BurstSteps>(deps);
  auto run = [steps](const std::string& step, const Operation& op) { return steps->Run(step, op); };
  auto finish = [steps](const Operation& op) { return steps->Finish(op); };
  kinds.Register("burst", {{"choose_target", "ensure_capacity", "verify", "shift_traffic"}, run, finish});
  kinds.Register("scale_back", {{"shift_traffic", "release_capacity"}, run, finish});
}

}  // namespace icb
