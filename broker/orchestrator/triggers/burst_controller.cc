#include "broker/orchestrator/triggers/burst_controller.h"

#include <algorithm>

#include "broker/core/time.h"
#include "broker/model/criteria.h"
#include "broker/orchestrator/state/burst.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kBurstFollowTask = "burst-follow";

}  // namespace

BurstController::BurstController(const WorkloadKindDeps& deps, WorkloadCache& workloads, OperationRunner& runner, const LoadTriggerPolicy& policy,
                                 NewId new_id, std::function<void()> started)
    : d_(deps), workloads_(workloads), runner_(runner), policy_(policy), new_id_(std::move(new_id)), started_(std::move(started)) {}

BurstController::~BurstController() { Stop(); }

void BurstController::Start(Scheduler& scheduler) {
  scheduler_ = &scheduler;
  scheduler.Register(kBurstFollowTask, [this]() -> std::optional<MonoTime> {
    Follow();
    return d_.clock.Monotonic() + Millis(1000);
  });
}

void BurstController::Stop() {
  if (!scheduler_) return;
  scheduler_->Unregister(kBurstFollowTask);
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, w] : watches_) names.push_back(TaskName(id));
    watches_.clear();
  }
  for (const auto& n : names) scheduler_->Unregister(n);
  scheduler_ = nullptr;
}

void BurstController::Follow() {
  auto set = workloads_.Read();
  if (!set.ok()) return;  // the store is away: keep sampling what we sample
  std::map<std::string, Millis> wanted;
  for (const auto& entry : (*set)->all) {
    const Workload& w = *entry.workload;
    if (w.burst && w.split) wanted[w.id] = w.failover.interval;
  }
  std::vector<std::string> added, removed;
  {
    std::lock_guard lock(mu_);
    for (auto it = watches_.begin(); it != watches_.end();) {
      if (!wanted.count(it->first)) {
        removed.push_back(it->first);
        it = watches_.erase(it);
      } else {
        it->second.interval = wanted[it->first];
        wanted.erase(it->first);
        ++it;
      }
    }
    for (const auto& [id, interval] : wanted) {
      watches_[id].interval = interval;
      added.push_back(id);
    }
  }
  if (!scheduler_) return;
  for (const auto& id : removed) scheduler_->Unregister(TaskName(id));
  for (const auto& id : added) scheduler_->Register(TaskName(id), [this, id] { return Sample(id); });
}

LoadThresholds BurstController::Thresholds(const Workload& w, const std::string& placement) const {
  LoadThresholds t;
  t.p95_ms_above = w.burst->p95_ms_above;
  t.utilization_above = w.burst->utilization_above;
  t.window = SecondsToMillis(w.burst->window_s);
  t.cooldown = SecondsToMillis(w.burst->cooldown_s);
  if (!t.p95_ms_above) {
    // The SLA's p95 response target at the placement: what the customer was promised.
    auto snapshot = d_.catalog.Snapshot();
    const ProviderEntry* e = snapshot.ok() ? (*snapshot)->FindProvider(placement) : nullptr;
    const SlaVersion* sla = e ? e->InForce(d_.clock.Now()) : nullptr;
    static const std::optional<int> p95 = TargetIndex("response_ms_p95");
    if (sla && p95) t.p95_ms_above = sla->targets[*p95];
  }
  return t;
}

std::optional<MonoTime> BurstController::Sample(const std::string& id) {
  Millis interval{1000};
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return std::nullopt;
    interval = it->second.interval;
  }
  const MonoTime next = d_.clock.Monotonic() + interval;
  // Only the broker that runs operations samples and acts.
  const std::optional<Fence> fence = runner_.CurrentFence();
  if (!fence) return next;
  auto w = LoadWorkload(d_.catalog, id);
  if (!w.ok() || !w->burst || !w->split) return next;
  auto status = GetWorkloadStatus(d_.store, id);
  if (!status.ok() || !*status || (*status)->url.empty() || (*status)->state == "unplaced") return next;
  const WorkloadStatus& s = **status;
  const LoadThresholds thresholds = Thresholds(*w, s.placement);

  // The sample: latency of a probe of the serving address, utilisation of the service.
  LoadSample sample;
  sample.ts = d_.clock.Now();
  ProbeTarget target{s.placement, "workload:" + id, s.url, ProbeSettings{}, ""};
  target.settings.timeout = std::clamp(interval, Millis(1000), Millis(5000));
  QosSample probe = d_.probes.Run(target);
  if (probe.ok) sample.latency_ms = probe.latency_ms;
  else if (probe.error == ProbeError::kTimeout) sample.latency_ms = static_cast<double>(target.settings.timeout.count());
  if (auto compute = d_.adapters.Compute(s.placement); compute.ok())
    if (auto state = (*compute)->State(); state.ok())
      if (const ServiceInstances* svc = state->Find(w->service)) sample.utilization_percent = svc->utilization_percent;

  std::vector<LoadSample> samples;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return std::nullopt;
    Watch& watch = it->second;
    if (watch.placement != s.placement) {
      watch.placement = s.placement;  // moved: another place, another series
      watch.samples.clear();
    }
    watch.samples.push_back(sample);
    const TimePoint keep_from = sample.ts - thresholds.window - interval;
    watch.samples.erase(watch.samples.begin(), std::find_if(watch.samples.begin(), watch.samples.end(),
                                                            [&](const LoadSample& x) { return x.ts >= keep_from; }));
    samples = watch.samples;
  }

  auto found = GetBurst(d_.store, id);
  if (!found.ok()) return next;
  BurstRecord rec = found->value_or(BurstRecord{});
  LoadDecision decision = policy_.Evaluate(samples, thresholds, LoadState{rec.bursting, rec.calm_since}, sample.ts);
  if (rec.bursting && decision.calm_since != rec.calm_since) {
    // The cooldown's start is durable: a broker that takes over goes on from it.
    BurstRecord next_rec = rec;
    next_rec.calm_since = decision.calm_since;
    if (!d_.store.CompareAndSetAll({BurstWrite(id, next_rec)}, {}, &*fence).ok()) return next;  // changed meanwhile: next sample
    rec = next_rec;
    ++rec.version;
  }
  if (!s.operation.empty()) return next;  // another operation has the workload
  if (rec.not_before && sample.ts < *rec.not_before) return next;
  if (!rec.bursting && !rec.secondary.empty()) {
    (void)StartOperation("scale_back", *w, s, rec, decision.inputs, "capacity a burst that did not finish borrowed at " + rec.secondary, *fence);
  } else if (rec.bursting && rec.source != s.placement) {
    (void)StartOperation("scale_back", *w, s, rec, decision.inputs, "the workload moved from " + rec.source + " to " + s.placement, *fence);
  } else if (decision.verdict == LoadVerdict::kBurst && !rec.bursting) {
    (void)StartOperation("burst", *w, s, rec, decision.inputs, "load above the thresholds", *fence);
  } else if (decision.verdict == LoadVerdict::kScaleBack && rec.bursting) {
    (void)StartOperation("scale_back", *w, s, rec, decision.inputs, "load below the thresholds for the cooldown", *fence);
  }
  return next;
}

Status BurstController::StartOperation(const std::string& kind, const Workload& w, const WorkloadStatus& status, const BurstRecord& rec,
                                       const json& inputs, const std::string& reason, const Fence& fence) {
  ICB_ASSIGN_OR_RETURN(auto steps, runner_.StepsOf(kind));
  const TimePoint now = d_.clock.Now();
  Operation op;
  op.id = new_id_(kind, w.id);
  op.kind = kind;
  op.workload = w.id;
  op.steps = std::move(steps);
  op.request = {{"trigger", "automatic"}, {"reason", reason}, {"load", inputs}, {"window_s", w.burst->window_s}};
  if (kind == "burst") {
    op.source = status.placement;
    op.request["share_percent"] = w.burst->share_percent;
  } else {
    op.source = rec.secondary;     // scaled back there
    op.target = status.placement;  // every weight home
    op.request["instances_before"] = rec.instances_before;
  }
  op.reason = reason;
  op.created_at = op.updated_at = now;
  WorkloadStatus s = status;
  s.operation = op.id;
  s.state = "bursting";
  BurstRecord r = rec;
  r.operation = op.id;
  Along along{{WorkloadStatusWrite(w.id, s), BurstWrite(w.id, r)}, {}};
  if (kind == "burst") {
    along.events.push_back(MakeEvent(op.id + "/burst_started", "burst_started", now, {w.id, op.id, status.placement},
                                     "workload " + w.id + " is under load at " + status.placement + "; borrowing " +
                                         std::to_string(w.instances) + " instances at a secondary for " +
                                         FormatNumber(w.burst->share_percent) + " % of its traffic",
                                     inputs));
  }
  Status created = runner_.operations().Create(op, &fence, along);
  if (created.ok() && started_) started_();
  return created;  // Aborted: the workload or its record changed meanwhile; the next sample looks again
}

}  // namespace icb
