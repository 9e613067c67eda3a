#include "broker/orchestrator/triggers/localize_controller.h"

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kLocalizeTask = "localize-controller";

}  // namespace

LocalizeController::LocalizeController(const WorkloadKindDeps& deps, WorkloadCache& workloads, OperationRunner& runner,
                                       const LatencyTriggerPolicy& policy, const AudienceLatencies& latencies, NewId new_id,
                                       std::function<void()> started)
    : d_(deps), workloads_(workloads), runner_(runner), policy_(policy), latencies_(latencies), new_id_(std::move(new_id)), started_(std::move(started)) {}

LocalizeController::~LocalizeController() { Stop(); }

void LocalizeController::Start(Scheduler& scheduler) {
  scheduler_ = &scheduler;
  scheduler.Register(kLocalizeTask, [this]() -> std::optional<MonoTime> {
    Pass();
    return d_.clock.Monotonic() + Millis(1000);
  });
}

void LocalizeController::Stop() {
  if (!scheduler_) return;
  scheduler_->Unregister(kLocalizeTask);
  scheduler_ = nullptr;
}

void LocalizeController::Pass() {
  // Only the broker that runs operations judges and acts.
  const std::optional<Fence> fence = runner_.CurrentFence();
  if (!fence) return;
  auto set = workloads_.Read();
  if (!set.ok()) return;  // the store is away: the next pass
  const auto [watched, ids] = WithAudiences(**set);
  if (ids.empty()) return;
  // Their statuses and audience records in two round trips, not two per workload.
  auto statuses = GetRecords(d_.store, kWorkloadStatusRecord, ids);
  auto records = GetRecords(d_.store, kAudienceRecord, ids);
  if (!statuses.ok() || !records.ok()) return;
  for (size_t i = 0; i < watched.size(); ++i) {
    const auto& status = (*statuses)[i];
    if (!status || status->url.empty() || status->state == "unplaced") continue;
    Judge(*watched[i], *status, (*records)[i], *fence);
  }
}

void LocalizeController::Judge(const Workload& w, const WorkloadStatus& s, const std::optional<AudienceRecord>& stored, const Fence& fence) {
  AudienceRecord rec = stored.value_or(AudienceRecord{});
  const TimePoint now = d_.clock.Now();
  bool changed = false;
  std::optional<Launch> start;
  for (const auto& a : w.audiences) {
    auto away = s.audience_placements.find(a.id);
    const bool is_away = away != s.audience_placements.end();
    AudienceTrack& track = rec.audiences[a.id];
    const std::optional<LatencyReading> home = latencies_.Latency(w.id, a.id, s.placement);
    if (!home) continue;  // not measured yet
    // An audience away whose vantage measured the provider serving it but
    // not the placement is not silent: nothing is known of the placement.
    if (is_away && home->ok + home->failed == 0) {
      const std::optional<LatencyReading> there = latencies_.Latency(w.id, a.id, away->second.provider);
      if (there && there->ok + there->failed > 0) continue;
    }
    const LatencyObjective objective{a.p95_ms, SecondsToMillis(a.window_s), SecondsToMillis(a.cooldown_s)};
    LatencyDecision decision = policy_.Evaluate(*home, objective, AudienceState{is_away, track.calm_since}, now);
    if (is_away && decision.calm_since != track.calm_since) {
      track.calm_since = decision.calm_since;  // durable: a broker taking over goes on from it
      changed = true;
    }
    if (start) continue;
    if (is_away) {
      // The provider serving it away does not answer its vantage (a
      // disaster there): back to the placement now, whatever the cooldown.
      const std::optional<LatencyReading> there = latencies_.Latency(w.id, a.id, away->second.provider);
      if (there && there->failing >= static_cast<size_t>(w.failover.failures)) {
        start = Launch{"delocalize", a.id, away->second.provider,
                       away->second.provider + " does not answer audience " + a.id + " from " + a.vantage + " (" + std::to_string(there->failing) +
                           " probes failed in a row)",
                       away->second.instances_before, a.window_s, decision.inputs, true};
        continue;
      }
    }
    if (track.not_before && now < *track.not_before) continue;
    if (!track.borrowed_at.empty()) {
      start = Launch{"delocalize", a.id, track.borrowed_at, "capacity a localize that did not finish borrowed at " + track.borrowed_at,
                    track.instances_before, a.window_s, decision.inputs};
    } else if (!is_away && decision.verdict == LatencyVerdict::kLocalize) {
      start = Launch{"localize", a.id, s.placement, "audience " + a.id + " sees " + s.placement + " above its objective from " + a.vantage, 0,
                    a.window_s, decision.inputs};
    } else if (is_away && decision.verdict == LatencyVerdict::kDelocalize) {
      start = Launch{"delocalize", a.id, away->second.provider,
                    "audience " + a.id + (decision.inputs.value("latency", "") == "silent" ? " silent" : " would meet its objective at " + s.placement) +
                        " for its cooldown",
                    away->second.instances_before, a.window_s, decision.inputs};
    }
  }
  // Audiences no longer declared: what serves them away is given back.
  for (const auto& [id, p] : s.audience_placements) {
    bool declared = false;
    for (const auto& a : w.audiences) declared = declared || a.id == id;
    if (!declared && !start) start = Launch{"delocalize", id, p.provider, "audience " + id + " is no longer declared", p.instances_before, 60, json::object()};
  }
  // An empty track is as none: not kept.
  std::erase_if(rec.audiences, [](const auto& t) { return !t.second.calm_since && !t.second.not_before && t.second.borrowed_at.empty(); });
  if (changed) {
    if (!d_.store.CompareAndSetAll({AudiencesWrite(w.id, rec)}, {}, &fence).ok()) return;  // changed meanwhile: the next pass
    ++rec.version;
  }
  if (!start || !s.operation.empty()) return;  // another operation has the workload
  (void)StartOperation(w, s, *start, fence);
}

Status LocalizeController::StartOperation(const Workload& w, const WorkloadStatus& status, const Launch& start, const Fence& fence) {
  ICB_ASSIGN_OR_RETURN(auto steps, runner_.StepsOf(start.kind));
  const TimePoint now = d_.clock.Now();
  Operation op;
  op.id = new_id_(start.kind, w.id);
  op.kind = start.kind;
  op.workload = w.id;
  op.steps = std::move(steps);
  op.source = start.source;
  if (start.kind == "delocalize") op.target = status.placement;
  op.request = {{"trigger", "automatic"}, {"reason", start.reason}, {"audience", start.audience}, {"latency", start.inputs},
                {"window_s", start.window_s}};
  if (start.kind == "delocalize") op.request["instances_before"] = start.instances_before;
  if (start.outage) op.request["outage"] = true;
  op.reason = start.reason;
  op.created_at = op.updated_at = now;
  WorkloadStatus s = status;
  s.operation = op.id;
  Status created = runner_.operations().Create(op, &fence, Along{{WorkloadStatusWrite(w.id, s)}, {}});
  if (created.ok() && started_) started_();
  return created;  // Aborted: the workload changed meanwhile; the next pass looks again
}

}  // namespace icb
