#include "broker/orchestrator/kinds/place_failover.h"

#include <algorithm>

#include "broker/core/time.h"
#include "broker/orchestrator/state/burst.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/orchestrator/providers/split_weights.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

StepOutcome WorkloadSteps::Run(const std::string& step, const Operation& op) {
  auto w = LoadWorkload(d_.catalog, op.workload);
  if (!w.ok()) return StepOutcome::Fail("workload " + op.workload + ": " + w.status().message());
  if (step == "choose_target") return ChooseTarget(op, *w);
  if (step == "ensure_capacity") return EnsureCapacity(op, *w);
  if (step == "sync_data") return SyncData(op, *w);
  if (step == "switch_dns") return SwitchDns(op, *w);
  if (step == "verify") return Verify(op, *w);
  if (step == "drain_source") return DrainSource(op);
  return StepOutcome::Fail("no step " + step);
}

// The failover's and the place's last write: the workload's status
// released, and where it runs now.
Result<Along> WorkloadSteps::Finish(const Operation& op) {
  if (data_) data_->Release(op.id);  // a delta copy this process ran for it
  Along along;
  ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, op.workload));
  if (!status || status->operation != op.id) return along;  // not ours (or forgotten): leave it
  WorkloadStatus s = *status;
  s.operation.clear();
  const bool automatic = op.request.value("trigger", "") == "automatic";
  const StepRecord* chose = op.Step("choose_target");
  if (op.state == OperationState::kSucceeded) {
    s.state = "running";
    if (const StepRecord* capacity = op.Step("ensure_capacity")) s.url = capacity->detail.value("url", s.url);
    if (op.kind == "place") {
      s.placed_digest = op.request.value("digest", "");
    } else if (!op.target.empty() && op.target != s.placement) {
      s.placement = op.target;
      s.since = d_.clock.Now();
      // An audience served where the workload runs now is served by its placement.
      std::erase_if(s.audience_placements, [&](const auto& a) { return a.second.provider == op.target; });
    }
  } else if (chose && chose->state == StepState::kFailed) {
    s.state = "unplaced";
    along.events.push_back(MakeEvent(op.id + "/unplaced", "unplaced", d_.clock.Now(), {op.workload, op.id, op.source},
                                     "workload " + op.workload + " has no target: " + op.reason, chose->detail));
  } else if ((op.state == OperationState::kCancelled && !automatic) || op.kind == "migration") {
    s.state = "running";  // a planned move that did not happen leaves it where it runs
  } else {
    s.state = "degraded";
  }
  along.writes.push_back(WorkloadStatusWrite(op.workload, s));
  return along;
}

StepOutcome WorkloadSteps::Transient(const Operation& op, const std::string& step, const Status& s, StepOutcome give_up) {
  return TransientStep(d_, op, step, s, std::move(give_up));
}

StepOutcome WorkloadSteps::ChooseTarget(const Operation& op, const Workload& w) {
  // Targets already tried by this operation (a failed verify or a
  // capacity that went) are not chosen again; a requested one is the only choice.
  const std::string requested = op.request.value("to", "");
  const std::set<std::string> tried = TriedTargets(op, requested.empty());
  std::set<std::string> excluded = tried;
  if (!op.source.empty()) excluded.insert(op.source);
  json given_back = GiveBackPassedOver(d_, op, w);
  auto candidates = EvaluateCandidates(d_, w, excluded);
  if (!candidates.ok()) return Transient(op, "choose_target", candidates.status(), StepOutcome::Fail(candidates.status().message()));
  json detail = {{"tried", json(std::vector<std::string>(tried.begin(), tried.end()))},
                 {"recovery_class", w.recovery_class == RecoveryClass::kQuality ? "quality" : "fast"},
                 {"candidates", CandidatesToJson(*candidates)}};
  if (!given_back.empty()) detail["given_back"] = std::move(given_back);
  // Its audiences go where it goes (those served away stay there): each
  // one's latency from its vantage at every candidate, beside the ranking.
  if (!w.audiences.empty()) {
    json audiences = json::array();
    for (const auto& a : w.audiences) {
      json at = json::array();
      for (const auto& c : *candidates)
        at.push_back({{"provider", c.provider}, {"rank", c.rank > 0 ? json(c.rank) : json(nullptr)}, {"score", c.rank > 0 ? json(c.score) : json(nullptr)},
                      {"latency", AudienceLatencyJson(latencies_, w.id, a.id, c.provider, a.p95_ms)}});
      audiences.push_back({{"id", a.id}, {"vantage", a.vantage}, {"objective_p95_ms", a.p95_ms}, {"candidates", std::move(at)}});
    }
    detail["audiences"] = std::move(audiences);
  }
  const Candidate* chosen = nullptr;
  std::string why;
  if (!requested.empty()) {
    auto it = std::find_if(candidates->begin(), candidates->end(), [&](const Candidate& c) { return c.provider == requested; });
    if (it == candidates->end()) why = "requested target " + requested + " is not a candidate";
    else if (!it->fits()) why = "requested target " + requested + " cannot take it: " + it->reasons.front();
    else chosen = &*it;
  } else {
    const Candidate* best = nullptr;  // the best-ranked, with room or not
    for (const auto& c : *candidates) {
      if (c.rank > 0 && !best) best = &c;
      if (c.fits() && !chosen) chosen = &c;
    }
    if (w.recovery_class == RecoveryClass::kQuality && best && chosen != best) {
      // Quality waits for its best-ranked target, up to its RTO.
      const double rto_s = w.rto_s.value_or(0);
      const auto waited = std::chrono::duration<double>(d_.clock.Now() - op.created_at).count();
      if (waited < rto_s) {
        return StepOutcome::Wait("waiting for best-ranked " + best->provider + " to have room for " + std::to_string(w.instances) +
                                     " instances (RTO " + FormatNumber(rto_s) + " s)",
                                 d_.wait_recheck);
      }
      detail["rto_spent"] = true;
    }
    if (!chosen) why = "no candidate can take " + std::to_string(w.instances) + " instances of " + w.service;
  }
  // What the target runs before anything is borrowed there (what a
  // target passed over is given back to). Unknown: nothing is given back
  // there, and the failover is not held up for it.
  json extra = json::object();
  if (chosen)
    if (auto before = InstancesAt(d_, chosen->provider, w.service)) extra["instances_before"] = *before;
  return ChooseTargetOutcome(d_, op, w, chosen, "goes to", why, std::move(detail), extra);
}

StepOutcome WorkloadSteps::EnsureCapacity(const Operation& op, const Workload& w) {
  const bool can_choose_again = op.kind == "failover" && op.request.value("to", "").empty();
  return EnsureCapacityStep(d_, op, w, [&](const std::string& why) {
    return can_choose_again ? StepOutcome::Retry(why, "choose_target") : StepOutcome::Fail(why);
  });
}

StepOutcome WorkloadSteps::SyncData(const Operation& op, const Workload& w) {
  // A failover someone asked for: its source may still answer, and then
  // the workload arrives with all of its data. A detected outage does not
  // wait for a source that is down.
  if (data_ && !w.data.empty() && op.request.value("trigger", "") != "automatic" && op.fence)
    return data_->CopyFromSource(op, w, [&] { return ReplicaWindow(op, w); });
  return ReplicaWindow(op, w);
}

StepOutcome WorkloadSteps::ReplicaWindow(const Operation& op, const Workload& w) {
  json sets = json::array();
  for (const auto& d : w.data) sets.push_back({{"name", d.name}, {"prefix", d.prefix}});
  json detail = {{"data_sets", std::move(sets)}, {"copied", false}};
  if (w.data.empty()) return StepOutcome::Done(detail);
  // The warm copy replication keeps: at the target, its moment is what
  // the workload comes back with; the data loss window runs from it to
  // the failure (the RPO achieved).
  auto replica = GetReplica(d_.store, op.workload);
  if (!replica.ok()) return Transient(op, "sync_data", replica.status(), StepOutcome::Fail(replica.status().message()));
  if (!*replica || !(*replica)->verified_at || (*replica)->provider != op.target) {
    detail["replica"] = nullptr;
    detail["reason"] = *replica && (*replica)->verified_at ? "the replica is at " + (*replica)->provider + ", not at " + op.target
                                                            : "no verified replica yet";
    return StepOutcome::Done(detail);
  }
  const TimePoint failed_at = op.created_at;
  const double achieved = std::max(0.0, std::chrono::duration<double>(failed_at - *(*replica)->verified_at).count());
  detail["replica"] = {{"provider", (*replica)->provider}, {"verified_at", FormatRfc3339(*(*replica)->verified_at)},
                       {"operation", (*replica)->operation}};
  detail["rpo_achieved_s"] = std::round(achieved * 10) / 10;
  detail["data_loss_window"] = {{"from", FormatRfc3339(*(*replica)->verified_at)}, {"to", FormatRfc3339(failed_at)}};
  if (w.rpo_s) {
    detail["rpo_s"] = *w.rpo_s;
    detail["rpo_met"] = achieved <= *w.rpo_s;
  }
  detail["copied"] = true;  // by replication, verified object by object
  return StepOutcome::Done(detail);
}

StepOutcome WorkloadSteps::SwitchDns(const Operation& op, const Workload& w) {
  const StepRecord* capacity = op.Step("ensure_capacity");
  const std::string url = capacity ? capacity->detail.value("url", "") : "";
  if (url.empty()) return StepOutcome::Fail("no serving address recorded by ensure_capacity");
  // The audiences served away keep their answers, but for those served
  // where the workload goes now: the placement's answer serves them.
  auto status = GetWorkloadStatus(d_.store, op.workload);
  if (!status.ok()) return Transient(op, "switch_dns", status.status(), StepOutcome::Fail(status.status().message()));
  std::map<std::string, AudiencePlacement> away;
  if (*status) away = (*status)->audience_placements;
  std::erase_if(away, [&](const auto& a) { return a.second.provider == op.target; });
  auto record = WorkloadRecord(w, url, away);
  if (!record.ok()) return StepOutcome::Fail(record.status().message());
  StepOutcome switched = SwitchRecordStep(d_, op, w, "switch_dns", *record);
  if (switched.kind != StepOutcome::Kind::kDone) return switched;
  if (d_.detection_to_switch && op.request.contains("detected_at"))
    if (auto detected = ParseRfc3339(op.request.value("detected_at", "")))
      d_.detection_to_switch->Observe(std::chrono::duration<double>(d_.clock.Now() - *detected).count());
  return SplitHome(op, w, std::move(switched.detail));
}

// With the record, the workload's split: every weight on where it runs
// now (a burst in force keeps its share; its scale back brings it home).
StepOutcome WorkloadSteps::SplitHome(const Operation& op, const Workload& w, json detail) {
  if (!w.split || !w.split->servers.count(op.target)) return StepOutcome::Done(std::move(detail));
  auto burst = GetBurst(d_.store, w.id);
  if (!burst.ok()) return Transient(op, "switch_dns", burst.status(), StepOutcome::Fail(burst.status().message()));
  if (*burst && (*burst)->bursting && (*burst)->source == op.target) {
    detail["split"] = {{"changed", false}, {"reason", "burst to " + (*burst)->secondary + " in force"}};
    return StepOutcome::Done(std::move(detail));
  }
  auto applied = ApplySplitWeights(d_.adapters, w, SplitWeights(w, op.target, "", 0));
  if (!applied.ok()) return Transient(op, "switch_dns", applied.status(), StepOutcome::Fail(applied.status().message()));
  detail["split"] = std::move(*applied);
  return StepOutcome::Done(std::move(detail));
}

StepOutcome WorkloadSteps::Verify(const Operation& op, const Workload& w) {
  return VerifyStep(d_, op, w, op.kind == "failover" && op.request.value("to", "").empty());
}

StepOutcome WorkloadSteps::DrainSource(const Operation& op) {
  auto status = GetWorkloadStatus(d_.store, op.workload);
  if (!status.ok()) return StepOutcome::Wait("workload status: " + status.status().message(), d_.wait_recheck);
  StepOutcome out = StepOutcome::Done({{"drained", op.source}, {"deleted", false}});
  if (*status && !op.source.empty() && std::find((*status)->drained.begin(), (*status)->drained.end(), op.source) == (*status)->drained.end()) {
    WorkloadStatus s = **status;
    s.drained.push_back(op.source);
    out.along.writes.push_back(WorkloadStatusWrite(op.workload, s));
  }
  return out;
}

OperationKind PlaceKind(WorkloadSteps& steps) {
  return {kPlaceSteps, [&steps](const std::string& step, const Operation& op) { return steps.Run(step, op); },
          [&steps](const Operation& op) { return steps.Finish(op); }};
}

OperationKind FailoverKind(WorkloadSteps& steps) {
  return {kFailoverSteps, [&steps](const std::string& step, const Operation& op) { return steps.Run(step, op); },
          [&steps](const Operation& op) { return steps.Finish(op); }};
}

}  // namespace icb
