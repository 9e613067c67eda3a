#include "broker/orchestrator/kinds/localize.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "broker/core/time.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

using nlohmann::json;

namespace {

const Workload::Audience* FindAudience(const Workload& w, const std::string& id) {
  for (const auto& a : w.audiences)
    if (a.id == id) return &a;
  return nullptr;
}


// How long a localize or delocalize that failed waits before the next.
Millis RetryAfter(const Operation& op) { return SecondsToMillis(op.request.value("window_s", 300.0)); }

}  // namespace

StepOutcome LocalizeSteps::Run(const std::string& step, const Operation& op) {
  auto w = LoadWorkload(d_.catalog, op.workload);
  if (!w.ok()) return StepOutcome::Fail("workload " + op.workload + ": " + w.status().message());
  const std::string audience = op.request.value("audience", "");
  if (op.kind == "delocalize") {
    // Also for an audience no longer declared: what it left is given back.
    if (step == "switch_dns") return SwitchDns(op, *w, audience);
    if (step == "release_capacity") return ReleaseCapacity(op, *w, audience);
    return StepOutcome::Fail("no step " + step);
  }
  const Workload::Audience* a = FindAudience(*w, audience);
  if (!a) return StepOutcome::Fail("workload " + w->id + " declares no audience " + audience);
  if (step == "choose_target") return ChooseTarget(op, *w, *a);
  if (step == "ensure_capacity") {
    return EnsureCapacityStep(d_, op, *w, [](const std::string& why) { return StepOutcome::Retry(why, "choose_target"); });
  }
  if (step == "sync_data") return SyncData(op, *w);
  if (step == "switch_dns") return SwitchDns(op, *w, audience);
  if (step == "verify") return VerifyStep(d_, op, *w, true, a->vantage);
  return StepOutcome::Fail("no step " + step);
}

StepOutcome LocalizeSteps::ChooseTarget(const Operation& op, const Workload& w, const Workload::Audience& a) {
  const std::set<std::string> tried = TriedTargets(op, true);
  std::set<std::string> excluded = tried;
  excluded.insert(op.source);
  json given_back = GiveBackPassedOver(d_, op, w);
  auto status = GetWorkloadStatus(d_.store, w.id);
  if (!status.ok()) return TransientStep(d_, op, "choose_target", status.status(), StepOutcome::Fail(status.status().message()));
  // The audience's own candidates, else the workload's.
  Workload allowed = w;
  if (!a.candidates.empty()) allowed.candidates = a.candidates;
  auto candidates = EvaluateCandidates(d_, allowed, excluded);
  if (!candidates.ok()) return TransientStep(d_, op, "choose_target", candidates.status(), StepOutcome::Fail(candidates.status().message()));

  // Each candidate's latency from the audience's vantage beside its rank and score.
  json weighed = CandidatesToJson(*candidates);
  for (size_t i = 0; i < candidates->size(); ++i) weighed[i]["latency"] = AudienceLatencyJson(latencies_, w.id, a.id, (*candidates)[i].provider, a.p95_ms);
  const json home = AudienceLatencyJson(latencies_, w.id, a.id, op.source, a.p95_ms);
  json detail = {{"tried", json(std::vector<std::string>(tried.begin(), tried.end()))},
                 {"audience", a.id},
                 {"vantage", a.vantage},
                 {"objective_p95_ms", a.p95_ms},
                 {"placement", {{"provider", op.source}, {"latency", home}}},
                 {"candidates", weighed}};
  if (!given_back.empty()) detail["given_back"] = std::move(given_back);

  // Nearest first: those meeting the objective from the vantage, the
  // profile's best-ranked among them (candidates come in ranking order);
  // else the lowest p95 that is at least below the placement's.
  std::optional<double> home_p95;
  if (home.is_object() && home.value("measured", false)) home_p95 = home["p95_ms"].get<double>();
  const Candidate* chosen = nullptr;
  std::optional<double> nearest_p95;
  for (size_t i = 0; i < candidates->size(); ++i) {
    const Candidate& c = (*candidates)[i];
    const json& latency = weighed[i]["latency"];
    if (!c.fits() || !latency.is_object() || !latency.value("measured", false)) continue;
    if (latency.value("failing", 0) >= w.failover.failures) continue;  // does not answer from there now
    const double p95 = latency["p95_ms"].get<double>();
    if (p95 <= a.p95_ms) {
      chosen = &c;
      break;
    }
    if ((!home_p95 || p95 < *home_p95) && (!nearest_p95 || p95 < *nearest_p95)) {
      chosen = &c;
      nearest_p95 = p95;
    }
  }
  if (chosen && status->has_value() && !(*status)->placement.empty() && chosen->provider == (*status)->placement) chosen = nullptr;
  const std::string why = "no candidate with room for " + std::to_string(w.instances) + " instances of " + w.service + " answers audience " + a.id +
                          " from " + a.vantage + " faster than " + op.source;
  json extra = json::object();
  if (chosen) {
    // What the target runs before anything is borrowed (what delocalize
    // returns it to): recorded before ensure_capacity scales it. Another
    // audience served there already borrowed: what it found counts.
    std::optional<int> before;
    if (*status)
      for (const auto& [id, p] : (*status)->audience_placements)
        if (p.provider == chosen->provider && id != a.id) before = p.instances_before;
    if (!before) before = InstancesAt(d_, chosen->provider, w.service);
    if (!before) {
      const std::string unknown = chosen->provider + "'s compute did not report what runs there";
      return TransientStep(d_, op, "choose_target", Unavailable(unknown), StepOutcome::Fail(unknown));
    }
    extra["instances_before"] = *before;
  }
  return ChooseTargetOutcome(d_, op, w, chosen, "serves audience " + a.id + " from", why, std::move(detail), extra);
}

StepOutcome LocalizeSteps::SyncData(const Operation& op, const Workload& w) {
  json sets = json::array();
  for (const auto& d : w.data) sets.push_back({{"name", d.name}, {"prefix", d.prefix}});
  if (w.data.empty()) return StepOutcome::Done({{"data_sets", std::move(sets)}, {"copied", false}});
  // Only a verified copy at the target serves the audience: from the
  // placement, which answers (it is far, not down), else the replica.
  const auto replica_only = [&]() -> StepOutcome {
    auto replica = GetReplica(d_.store, op.workload);
    if (!replica.ok()) return TransientStep(d_, op, "sync_data", replica.status(), StepOutcome::Fail(replica.status().message()));
    if (*replica && (*replica)->verified_at && (*replica)->provider == op.target)
      return StepOutcome::Done({{"data_sets", sets}, {"copied", true}, {"replica", {{"provider", op.target}, {"verified_at", FormatRfc3339(*(*replica)->verified_at)}}}});
    return StepOutcome::Fail("the workload's data cannot be made present at " + op.target + ": " + op.source +
                             " does not answer and no verified replica is there");
  };
  if (data_) return data_->CopyFromSource(op, w, replica_only);
  return replica_only();
}

StepOutcome LocalizeSteps::SwitchDns(const Operation& op, const Workload& w, const std::string& audience) {
  auto status = GetWorkloadStatus(d_.store, w.id);
  if (!status.ok()) return TransientStep(d_, op, "switch_dns", status.status(), StepOutcome::Fail(status.status().message()));
  if (!*status || (*status)->url.empty()) return StepOutcome::Fail("workload " + w.id + " is not placed");
  std::map<std::string, AudiencePlacement> away = (*status)->audience_placements;
  if (op.kind == "localize") {
    const StepRecord* capacity = op.Step("ensure_capacity");
    const std::string url = capacity ? capacity->detail.value("url", "") : "";
    if (url.empty()) return StepOutcome::Fail("no serving address recorded by ensure_capacity");
    away[audience] = AudiencePlacement{op.target, url, std::nullopt, 0, op.id};
  } else {
    away.erase(audience);
  }
  auto record = WorkloadRecord(w, (*status)->url, away);
  if (!record.ok()) return StepOutcome::Fail(record.status().message());
  StepOutcome out = SwitchRecordStep(d_, op, w, "switch_dns", *record);
  if (out.kind == StepOutcome::Kind::kDone) out.detail["audience"] = audience;
  return out;
}

StepOutcome LocalizeSteps::ReleaseCapacity(const Operation& op, const Workload& w, const std::string& audience) {
  const int back_to = op.request.value("instances_before", 0);
  auto status = GetWorkloadStatus(d_.store, w.id);
  if (!status.ok()) return TransientStep(d_, op, "release_capacity", status.status(), StepOutcome::Fail(status.status().message()));
  json kept = {{"provider", op.source}, {"service", w.service}, {"instances_before", back_to}, {"released", false}};
  if (*status && (*status)->placement == op.source) {
    kept["reason"] = "the workload runs on " + op.source + " now";
    return StepOutcome::Done(kept);
  }
  if (*status)
    for (const auto& [id, p] : (*status)->audience_placements)
      if (id != audience && p.provider == op.source) {
        kept["reason"] = op.source + " still serves audience " + id;
        return StepOutcome::Done(kept);
      }
  StepOutcome released = ReleaseCapacityStep(d_, op, w, op.source, back_to);
  if (released.kind == StepOutcome::Kind::kFail && op.request.value("outage", false)) {
    // A provider that is down may not answer its API either: the audience
    // is served from the placement already; its capacity is given back later.
    kept["error"] = released.reason;
    kept["given_back_later"] = true;
    return StepOutcome::Done(kept);
  }
  return released;
}

Result<Along> LocalizeSteps::Finish(const Operation& op) {
  if (data_) data_->Release(op.id);
  Along along;
  const std::string audience = op.request.value("audience", "");
  const TimePoint now = d_.clock.Now();
  const bool ok = op.state == OperationState::kSucceeded;
  ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, op.workload));
  ICB_ASSIGN_OR_RETURN(auto found, GetAudiences(d_.store, op.workload));
  AudienceRecord rec = found.value_or(AudienceRecord{});
  AudienceTrack& track = rec.audiences[audience];
  std::optional<WorkloadStatus> s;
  if (status && status->operation == op.id) {
    s = *status;
    s->operation.clear();
  }
  if (op.kind == "localize") {
    const StepRecord* chose = op.Step("choose_target");
    const StepRecord* capacity = op.Step("ensure_capacity");
    const StepRecord* verify = op.Step("verify");
    if (ok && s) {
      const std::string url = capacity ? capacity->detail.value("url", "") : "";
      const int before = chose ? chose->detail.value("instances_before", 0) : 0;
      s->audience_placements[audience] = AudiencePlacement{op.target, url, now, before, op.id};
      track = AudienceTrack{};
      json detail = {{"audience", audience}, {"provider", op.target}, {"from", op.source}, {"url", url}};
      if (chose) detail["decision"] = {{"placement", chose->detail.value("placement", json(nullptr))}, {"objective_p95_ms", chose->detail.value("objective_p95_ms", 0.0)}};
      if (verify) detail["verify"] = verify->detail;
      along.events.push_back(MakeEvent(op.id + "/localized", "localized", now, {op.workload, op.id, op.target},
                                       "audience " + audience + " of workload " + op.workload + " is served from " + op.target + ", nearer to it than " + op.source,
                                       detail));
    } else {
      track.not_before = now + RetryAfter(op);  // not again before a window has passed
      // Borrowed, or perhaps borrowed by a run that did not record its end:
      // a delocalize gives it back (unless it serves the placement or another audience).
      if (capacity && capacity->state != StepState::kPending && !op.target.empty()) {
        track.borrowed_at = op.target;
        track.instances_before = chose ? chose->detail.value("instances_before", 0) : 0;
      }
    }
  } else {
    if (ok) {
      if (s) s->audience_placements.erase(audience);
      rec.audiences.erase(audience);
      const StepRecord* release = op.Step("release_capacity");
      if (release && release->detail.value("given_back_later", false)) {
        AudienceTrack& later = rec.audiences[audience];
        later.borrowed_at = op.source;
        later.instances_before = op.request.value("instances_before", 0);
        later.not_before = now + RetryAfter(op);
      }
      along.events.push_back(MakeEvent(op.id + "/delocalized", "delocalized", now, {op.workload, op.id, op.source},
                                       "audience " + audience + " of workload " + op.workload + " is served from the placement again; " + op.source +
                                           " given back what it borrowed",
                                       {{"audience", audience}, {"from", op.source}, {"reason", op.request.value("reason", "")}}));
    } else {
      track.not_before = now + RetryAfter(op);
    }
  }
  if (s) along.writes.push_back(WorkloadStatusWrite(op.workload, *s));
  along.writes.push_back(AudiencesWrite(op.workload, rec));
  return along;
}

OperationKind LocalizeKind(LocalizeSteps& steps) {
  return {kLocalizeSteps, [&steps](const std::string& step, const Operation& op) { return steps.Run(step, op); },
          [&steps](const Operation& op) { return steps.Finish(op); }};
}

OperationKind DelocalizeKind(LocalizeSteps& steps) {
  return {kDelocalizeSteps, [&steps](const std::string& step, const Operation& op) { return steps.Run(step, op); },
          [&steps](const Operation& op) { return steps.Finish(op); }};
}

}  // namespace icb
