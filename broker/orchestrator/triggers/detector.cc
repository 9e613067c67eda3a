#include "broker/orchestrator/triggers/detector.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <unordered_map>

#include "broker/core/time.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

namespace {

constexpr const char* kDetectFollowTask = "detect-follow";
constexpr const char* kGroupTask = "detect-groups";

// Keeps the latest `keep` samples in a vector with room for exactly one
// more, so the next answer goes in without growing it (ten thousand watched
// workloads hold theirs in memory).
void KeepLatest(std::vector<VantageSample>& series, size_t keep) {
  if (series.size() > keep) series.erase(series.begin(), series.end() - static_cast<std::ptrdiff_t>(keep));
  if (series.capacity() == keep + 1) return;
  std::vector<VantageSample> sized;
  sized.reserve(keep + 1);
  std::move(series.begin(), series.end(), std::back_inserter(sized));
  series = std::move(sized);
}

}  // namespace

Detector::Detector(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& probes, WorkloadCache& workloads, const TriggerPolicy& policy,
                   RecoveryStarter& orchestrator, DetectorOptions options)
    : scheduler_(scheduler),
      clock_(clock),
      probes_(probes),
      workloads_(workloads),
      policy_(policy),
      orchestrator_(orchestrator),
      options_(std::move(options)),
      audit_(orchestrator.store()) {}

Detector::~Detector() { Stop(); }

void Detector::Start() {
  started_ = true;
  // Answers are weighed a twentieth of a second's worth at a time.
  schedule_ = std::make_unique<ProbeSchedule>(scheduler_, clock_, probes_, ProbeScheduleOptions{"detect-probes", Millis(50)},
                                              [this](std::vector<ProbeAnswer> answers) { Answered(std::move(answers)); });
  scheduler_.Register(kDetectFollowTask, [this]() -> std::optional<MonoTime> {
    Follow();
    return clock_.Monotonic() + options_.follow_every;
  });
  scheduler_.Register(kGroupTask, [this] { return StartGroups(); });
}

void Detector::Stop() {
  if (!started_) return;
  started_ = false;
  scheduler_.Unregister(kDetectFollowTask);
  scheduler_.Unregister(kGroupTask);
  schedule_.reset();
}

void Detector::Follow() {
  // The documents are parsed again only when one changed (ten thousand of
  // them every second would be most of a core and churn the heap).
  auto set = workloads_.Read();
  if (!set.ok()) return;  // the store is away: keep watching what we watch
  bool changed = false;
  if (!workloads_version_ || *workloads_version_ != (*set)->version) {
    ReadWorkloads(**set);
    workloads_version_ = (*set)->version;
    changed = true;
  }
  FollowPlacements(changed);
}

void Detector::ReadWorkloads(const WorkloadSet& set) {
  automatic_.clear();
  for (const auto& entry : set.all)
    if (entry.workload->failover.automatic) automatic_.push_back(entry.workload);
  status_keys_.clear();
  status_keys_.reserve(automatic_.size());
  for (const auto& w : automatic_) status_keys_.push_back(kWorkloadStatusRecord.key(w->id));
  std::unordered_map<std::string, StatusSeen> statuses;  // of those still automatic
  for (const auto& w : automatic_)
    if (auto seen = statuses_.extract(w->id)) statuses.insert(std::move(seen));
  statuses_ = std::move(statuses);
}

void Detector::FollowPlacements(bool workloads_changed) {
  // Where they run: every status record's version in one round trip, then
  // only the records whose version moved (at 10,000 workloads the records
  // themselves every second were most of this pass's work and heap churn).
  const std::vector<std::shared_ptr<const Workload>>& automatic = automatic_;
  auto versions = orchestrator_.store().GetVersions(status_keys_);
  if (!versions.ok()) return;
  bool changed = workloads_changed;
  std::vector<size_t> to_read;
  for (size_t i = 0; i < automatic.size(); ++i) {
    auto before = statuses_.find(automatic[i]->id);
    if (!(*versions)[i]) {
      if (before != statuses_.end()) {
        statuses_.erase(before);
        changed = true;
      }
    } else if (before == statuses_.end() || before->second.version != *(*versions)[i]) {
      to_read.push_back(i);
    }
  }
  if (!to_read.empty()) {
    std::vector<std::string> keys;
    keys.reserve(to_read.size());
    for (size_t i : to_read) keys.push_back(status_keys_[i]);
    auto stored = orchestrator_.store().GetVersionedMany(keys);
    if (!stored.ok()) return;
    for (size_t k = 0; k < to_read.size(); ++k) {
      const std::string& id = automatic[to_read[k]]->id;
      if (!(*stored)[k]) {
        changed |= statuses_.erase(id) > 0;
        continue;
      }
      auto status = ParseRecord(kWorkloadStatusRecord, id, *(*stored)[k]);
      if (!status.ok()) continue;  // read again next pass
      statuses_[id] = {(*stored)[k]->version, status->placement, status->url};
      changed = true;
    }
  }
  if (!changed) return;  // the watches and probes stand as they are
  std::map<std::string, Watch> wanted;
  for (const auto& w : automatic) {
    auto seen = statuses_.find(w->id);
    if (seen == statuses_.end() || seen->second.url.empty()) continue;
    Watch watch;
    watch.provider = seen->second.placement;
    watch.url = seen->second.url;
    watch.workload = w;
    wanted.emplace(w->id, std::move(watch));
  }
  std::map<std::string, ScheduledProbe> probes;
  auto probe_of = [this](const Watch& w) {
    const Millis interval = w.workload->failover.interval;
    ProbeTarget target{w.provider, "workload:" + w.workload->id, w.url, ProbeSettings{}, options_.vantage};
    target.settings.interval = interval;
    // Bounded by the interval: a hanging address fails by the next round.
    target.settings.timeout = std::max(Millis(100), interval);
    return ScheduledProbe{std::move(target), SpreadPhase(w.workload->id, interval, options_.probe_spread)};
  };
  {
    std::lock_guard lock(mu_);
    for (auto it = watches_.begin(); it != watches_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end()) {
        it = watches_.erase(it);
        continue;
      }
      if (w->second.url != it->second.url) {
        // Moved: a new address, a new series.
        it->second = std::move(w->second);
      } else {
        it->second.workload = std::move(w->second.workload);  // settings may have changed
      }
      probes.emplace(it->first, probe_of(it->second));  // unchanged, it keeps its slots
      wanted.erase(w);
      ++it;
    }
    for (auto& [id, w] : wanted) {
      probes.emplace(id, probe_of(w));
      watches_.emplace(id, std::move(w));
    }
  }
  if (schedule_) schedule_->Set(probes);
}

void Detector::Answered(std::vector<ProbeAnswer> answers) {
  std::lock_guard lock(mu_);
  for (auto& a : answers) {
    auto it = watches_.find(a.key);
    if (it == watches_.end() || it->second.url != a.target->url) continue;  // moved meanwhile: the old address's answer
    const QosSample& s = a.sample;
    auto& series = it->second.samples[options_.vantage];
    const size_t keep = policy_.SamplesNeeded(it->second.workload->failover);
    // In the order sent: a probe that took most of its interval answers
    // after the next one did.
    VantageSample v{s.ts, s.ok, s.status, std::string(ProbeErrorName(s.error)), s.latency_ms};
    auto at = std::upper_bound(series.begin(), series.end(), v.ts, [](TimePoint t, const VantageSample& x) { return t < x.ts; });
    if (series.size() >= keep && at == series.begin()) continue;  // older than every sample kept
    series.insert(at, std::move(v));
    KeepLatest(series, keep);
    EvaluateLocked(a.key, it->second);
  }
}

Status Detector::Push(const std::string& workload, const std::string& vantage, std::vector<VantageSample> samples) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(workload);
  if (it == watches_.end()) return NotFound("workload " + workload + " is not watched (not automatic, or not placed yet)");
  auto& series = it->second.samples[vantage];
  const size_t keep = policy_.SamplesNeeded(it->second.workload->failover);
  std::sort(samples.begin(), samples.end(), [](const VantageSample& a, const VantageSample& b) { return a.ts < b.ts; });
  for (auto& s : samples) {
    // In time order; a sample already older than the newest is a late one.
    if (!series.empty() && s.ts <= series.back().ts) continue;
    series.push_back(std::move(s));
  }
  KeepLatest(series, keep);
  EvaluateLocked(workload, it->second);
  return Status::Ok();
}

void Detector::EvaluateLocked(const std::string& id, Watch& w) {
  // Vantages that stopped reporting do not vote.
  const TimePoint now = clock_.Now();
  const auto stale = w.workload->failover.interval * options_.stale_intervals;
  auto fresh = [&](const auto& by_vantage) { return !by_vantage.second.empty() && now - by_vantage.second.back().ts <= stale; };
  // Copied only when some vantage went quiet: a thousand answers a second
  // are weighed on the samples where they are.
  const bool all_fresh = std::all_of(w.samples.begin(), w.samples.end(), fresh);
  SamplesByVantage current;
  if (!all_fresh) std::copy_if(w.samples.begin(), w.samples.end(), std::inserter(current, current.end()), fresh);
  TriggerDecision d = policy_.Evaluate(all_fresh ? w.samples : current, w.workload->failover, w.failed);
  if (d.verdict == Verdict::kUnchanged) return;
  nlohmann::json inputs = std::move(d.inputs);
  inputs["url"] = w.url;
  const std::string at_ms = std::to_string(std::chrono::duration_cast<Millis>(now.time_since_epoch()).count());
  const bool failed = d.verdict == Verdict::kFailed;
  AuditEvent e = MakeEvent(id + (failed ? "/detected/" : "/recovered/") + w.url + "/" + at_ms, failed ? "detected" : "recovered", now,
                           {id, "", w.provider},
                           "workload " + id + (failed ? " does not answer at " : " answers again at ") + w.provider + " (" + w.url + ")",
                           std::move(inputs));
  if (failed) {
    w.failed = true;
    JoinGroupLocked(w.provider, id, clock_.Monotonic());
    scheduler_.Wake(kGroupTask);
  } else {
    w.failed = false;
  }
  (void)audit_.Record({e}, nullptr);  // the trail is best effort here; the decision is not
}

void Detector::JoinGroupLocked(const std::string& provider, const std::string& workload, MonoTime now) {
  auto& group = groups_[provider];
  if (group.workloads.empty()) {
    group.opened = now;
    group.detected_at = clock_.Now();
  }
  group.workloads.push_back(workload);
  group.deadline = std::min(group.opened + options_.group_max, now + options_.group_quiet);
}

std::optional<MonoTime> Detector::StartGroups() {
  const MonoTime now = clock_.Monotonic();
  struct Due {
    std::string provider;
    std::vector<std::string> workloads;
    TimePoint detected_at;
  };
  std::vector<Due> due;
  std::optional<MonoTime> next;
  {
    std::lock_guard lock(mu_);
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (it->second.deadline <= now) {
        due.push_back({it->first, std::move(it->second.workloads), it->second.detected_at});
        it = groups_.erase(it);
      } else {
        next = next ? std::min(*next, it->second.deadline) : it->second.deadline;
        ++it;
      }
    }
  }
  for (auto& [provider, workloads, detected_at] : due) {
    auto busy = orchestrator_.StartRecovery(provider, workloads, detected_at);
    if (!busy.ok()) busy = workloads;  // the store is away: all of them again
    if (busy->empty()) continue;
    // Another operation runs for these (their place, say): try again after
    // a window, while they still count as failed.
    std::lock_guard lock(mu_);
    for (const auto& id : *busy) {
      auto w = watches_.find(id);
      if (w == watches_.end() || !w->second.failed) continue;
      JoinGroupLocked(provider, id, now);
      Group& group = groups_[provider];
      group.detected_at = std::min(group.detected_at, detected_at);  // when it was first detected, not retried
      const MonoTime again = group.deadline;
      next = next ? std::min(*next, again) : again;
    }
  }
  return next;
}

ProbeScheduleStats Detector::TakeProbeStats() { return schedule_ ? schedule_->TakeStats() : ProbeScheduleStats{}; }

bool Detector::Failed(const std::string& workload) const {
  std::lock_guard lock(mu_);
  auto it = watches_.find(workload);
  return it != watches_.end() && it->second.failed;
}

}  // namespace icb
