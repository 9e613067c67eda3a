#include "broker/orchestrator/triggers/detector.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <set>
#include <unordered_map>
#include <unordered_set>

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

// A workload's detection state in the store: the hash icb:detect:ID, one
// field per vantage holding that vantage's recent samples of one address
// and whether the workload counted as failed; icb:detect:ID:pushed counts
// the pushes a broker that does not own the workload stored for its owner.
std::string DetectKey(std::string_view id) { return "icb:detect:" + std::string(id); }
std::string PushedKey(std::string_view id) { return DetectKey(id) + ":pushed"; }
// The set of workloads with detection state, written with it, so that the
// leader removes the state of workloads deleted (or no longer automatic):
// at once when the workload set changes, and every kSweepEvery for a
// write that landed after that (a replica that had not seen the change).
constexpr const char* kDetectIndexKey = "icb:detect:index";
constexpr Millis kSweepEvery{60'000};
// Detections handed to the leader: field "PROVIDER\nWORKLOAD", value the
// first detection's time (ms).
constexpr const char* kHandedOverKey = "icb:detections";
// How often the leader looks for detections handed to it.
// Within a group's quiet time (500 ms): handed-over detections of one
// probe round join the leader's group before it starts.
constexpr Millis kGatherEvery{100};

struct StoredSeries {
  std::string url;
  bool failed = false;
  std::vector<VantageSample> samples;
};

std::string EncodeSeries(const std::string& url, bool failed, const std::vector<VantageSample>& samples) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : samples) {
    nlohmann::json one = {std::chrono::duration_cast<Millis>(v.ts.time_since_epoch()).count(), v.ok, v.status, v.error};
    if (v.latency_ms) one.push_back(*v.latency_ms);
    list.push_back(std::move(one));
  }
  return nlohmann::json{{"url", url}, {"failed", failed}, {"samples", std::move(list)}}.dump();
}

// nullopt for anything but what EncodeSeries wrote (the store is shared:
// a record another version wrote is ignored, not trusted).
std::optional<StoredSeries> DecodeSeries(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("url") || !j.contains("samples") || !j["samples"].is_array()) return std::nullopt;
  try {
    StoredSeries out{j["url"].get<std::string>(), j.value("failed", false), {}};
    for (const auto& one : j["samples"]) {
      VantageSample v{TimePoint(Millis(one.at(0).get<long long>())), one.at(1).get<bool>(), one.at(2).get<int>(), one.at(3).get<std::string>(), {}};
      if (one.size() > 4) v.latency_ms = one.at(4).get<double>();
      out.samples.push_back(std::move(v));
    }
    return out;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// `from` merged into `into`: in time order, a sample at a time already
// there once, the latest `keep` kept.
void MergeSeries(std::vector<VantageSample>& into, std::vector<VantageSample> from, size_t keep) {
  for (auto& v : from) {
    auto at = std::lower_bound(into.begin(), into.end(), v.ts, [](const VantageSample& x, TimePoint t) { return x.ts < t; });
    if (at != into.end() && at->ts == v.ts) continue;
    into.insert(at, std::move(v));
  }
  KeepLatest(into, keep);
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
  const MonoTime now = clock_.Monotonic();
  if ((changed || !swept_at_ || now - *swept_at_ >= kSweepEvery) && orchestrator_.Leads()) {
    SweepGone();
    swept_at_ = now;
  }
  if (options_.replicas) {
    auto owners = options_.replicas->Owners();
    if (owners != owners_) {
      owners_ = std::move(owners);
      changed = true;  // shares moved: the watches follow
    }
  }
  FollowPlacements(changed);
  if (options_.replicas) MergePushed();
}

void Detector::SweepGone() {
  auto listed = orchestrator_.store().SetMembers(kDetectIndexKey);
  if (!listed.ok()) return;  // the next pass
  std::unordered_set<std::string_view> automatic;
  for (const auto& w : automatic_) automatic.insert(w->id);
  WriteBatch gone;
  for (const auto& id : *listed) {
    if (automatic.count(id)) continue;
    gone.Delete(DetectKey(id));
    gone.Delete(PushedKey(id));
    gone.SetRemove(kDetectIndexKey, id);
  }
  if (!gone.ops().empty()) (void)orchestrator_.store().Apply(gone);  // else the next sweep
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
    if (options_.replicas && ReplicaSet::OwnerOf(w->id, owners_) != options_.replicas->options().self) continue;  // another broker's
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
  std::vector<std::string> started;  // watches new here, or at a new address
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
        started.push_back(it->first);
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
      started.push_back(id);
    }
  }
  LoadStored(started);
  if (schedule_) schedule_->Set(probes);
}

void Detector::LoadStored(const std::vector<std::string>& ids) {
  const TimePoint now = clock_.Now();
  for (const auto& id : ids) {
    auto fields = orchestrator_.store().HashGetAll(DetectKey(id));
    if (!fields.ok()) return;  // the store is away: detect afresh
    std::lock_guard lock(mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) continue;
    Watch& w = it->second;
    // Only recent samples of this address: an hour-old failure must not
    // join a new one in a run.
    const TimePoint oldest = now - w.workload->failover.interval * options_.stale_intervals;
    const size_t keep = policy_.SamplesNeeded(w.workload->failover);
    bool any = false;
    for (auto& [vantage, text] : *fields) {
      auto stored = DecodeSeries(text);
      if (!stored || stored->url != w.url) continue;
      std::erase_if(stored->samples, [&](const VantageSample& v) { return v.ts < oldest; });
      if (stored->samples.empty()) continue;
      // `failed` is not taken over: the samples decide again, so an outage
      // whose recovery its detector died before starting is detected anew
      // (StartRecovery skips workloads a recovery already holds).
      MergeSeries(w.samples[vantage], std::move(stored->samples), keep);
      any = true;
    }
    if (any) EvaluateLocked(id, w);
  }
}

void Detector::MergePushed() {
  std::vector<std::string> ids, keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, w] : watches_) {
      ids.push_back(id);
      keys.push_back(PushedKey(id));
    }
  }
  auto counters = orchestrator_.store().GetMany(keys);
  if (!counters.ok()) return;
  std::unordered_map<std::string, long long> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const long long counter = (*counters)[i] ? std::atoll((*counters)[i]->c_str()) : 0;
    seen[ids[i]] = counter;
    auto before = pushed_seen_.find(ids[i]);
    if (counter == 0 || (before != pushed_seen_.end() && before->second == counter)) continue;
    auto fields = orchestrator_.store().HashGetAll(DetectKey(ids[i]));
    if (!fields.ok()) {
      seen[ids[i]] = before == pushed_seen_.end() ? 0 : before->second;  // again next pass
      continue;
    }
    std::lock_guard lock(mu_);
    auto it = watches_.find(ids[i]);
    if (it == watches_.end()) continue;
    Watch& w = it->second;
    const size_t keep = policy_.SamplesNeeded(w.workload->failover);
    for (auto& [vantage, text] : *fields) {
      if (vantage == options_.vantage) continue;  // this broker's own, which it holds
      auto stored = DecodeSeries(text);
      if (stored && stored->url == w.url) MergeSeries(w.samples[vantage], std::move(stored->samples), keep);
    }
    EvaluateLocked(ids[i], w);
  }
  pushed_seen_ = std::move(seen);
}

void Detector::Persist(const std::vector<std::string>& ids, const std::string& vantage) {
  WriteBatch batch;
  {
    std::lock_guard lock(mu_);
    for (const auto& id : ids) {
      auto it = watches_.find(id);
      if (it == watches_.end()) continue;
      auto series = it->second.samples.find(vantage);
      if (series == it->second.samples.end()) continue;
      batch.HashSet(DetectKey(id), vantage, EncodeSeries(it->second.url, it->second.failed, series->second));
      batch.SetAdd(kDetectIndexKey, id);
    }
  }
  // Best effort: the next answer writes it again; a broker taking over
  // without it detects from its own probes.
  if (!batch.ops().empty()) (void)orchestrator_.store().Apply(batch);
}

void Detector::Answered(std::vector<ProbeAnswer> answers) {
  std::vector<std::string> answered;
  answered.reserve(answers.size());
  std::unique_lock lock(mu_);
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
    answered.push_back(a.key);
  }
  lock.unlock();
  Persist(answered, options_.vantage);
}

Status Detector::Push(const std::string& workload, const std::string& vantage, std::vector<VantageSample> samples) {
  std::unique_lock lock(mu_);
  auto it = watches_.find(workload);
  if (it == watches_.end()) {
    lock.unlock();
    if (!options_.replicas) return NotFound("workload " + workload + " is not watched (not automatic, or not placed yet)");
    return PushForOwner(workload, vantage, std::move(samples));  // another broker's, perhaps
  }
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
  lock.unlock();
  Persist({workload}, vantage);
  return Status::Ok();
}

Status Detector::PushForOwner(const std::string& workload, const std::string& vantage, std::vector<VantageSample> samples) {
  const Status not_watched = NotFound("workload " + workload + " is not watched (not automatic, or not placed yet)");
  ICB_ASSIGN_OR_RETURN(auto set, workloads_.Read());
  std::shared_ptr<const Workload> w;
  for (const auto& entry : set->all)
    if (entry.workload->id == workload) w = entry.workload;
  if (!w || !w->failover.automatic) return not_watched;
  ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(orchestrator_.store(), workload));
  if (!status || status->url.empty()) return not_watched;
  // What is stored for this vantage and address, with these added; the
  // owner merges it at its next follow pass (it polls the counter).
  ICB_ASSIGN_OR_RETURN(auto stored, orchestrator_.store().HashGet(DetectKey(workload), vantage));
  std::vector<VantageSample> series;
  if (stored) {
    if (auto decoded = DecodeSeries(*stored); decoded && decoded->url == status->url) series = std::move(decoded->samples);
  }
  MergeSeries(series, std::move(samples), policy_.SamplesNeeded(w->failover));
  WriteBatch batch;
  batch.HashSet(DetectKey(workload), vantage, EncodeSeries(status->url, false, series));
  batch.Incr(PushedKey(workload));
  batch.SetAdd(kDetectIndexKey, workload);
  return orchestrator_.store().Apply(batch).status();
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

void Detector::HandOver(const std::string& provider, const std::vector<std::string>& workloads, TimePoint detected_at) {
  WriteBatch batch;
  const std::string at = std::to_string(std::chrono::duration_cast<Millis>(detected_at.time_since_epoch()).count());
  for (const auto& id : workloads) batch.HashSet(kHandedOverKey, provider + "\n" + id, at);
  if (orchestrator_.store().Apply(batch).ok()) return;
  // The store is away: keep them here and try again after a window.
  std::lock_guard lock(mu_);
  const MonoTime now = clock_.Monotonic();
  for (const auto& id : workloads) JoinGroupLocked(provider, id, now);
  groups_[provider].detected_at = std::min(groups_[provider].detected_at, detected_at);
}

void Detector::GatherHandedOver(MonoTime now) {
  auto handed = orchestrator_.store().HashGetAll(kHandedOverKey);
  if (!handed.ok() || handed->empty()) return;
  std::lock_guard lock(mu_);
  for (const auto& [field, at_ms] : *handed) {
    const size_t nl = field.find('\n');
    if (nl == std::string::npos) continue;
    const std::string provider = field.substr(0, nl), id = field.substr(nl + 1);
    const TimePoint detected_at(Millis(std::atoll(at_ms.c_str())));
    auto& group = groups_[provider];
    if (std::find(group.workloads.begin(), group.workloads.end(), id) != group.workloads.end()) continue;
    const bool opens = group.workloads.empty();
    JoinGroupLocked(provider, id, now);
    group.detected_at = opens ? detected_at : std::min(group.detected_at, detected_at);
  }
  // They stay in the store until their recovery started (StartGroups): a
  // leader that dies first leaves them to the next.
}

std::optional<MonoTime> Detector::StartGroups() {
  const MonoTime now = clock_.Monotonic();
  const bool leads = orchestrator_.Leads();
  if (options_.replicas && leads) GatherHandedOver(now);
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
      // A broker that does not lead hands its detections over at once:
      // the leader's group gathers them, not this one's.
      if (it->second.deadline <= now || (options_.replicas && !leads)) {
        due.push_back({it->first, std::move(it->second.workloads), it->second.detected_at});
        it = groups_.erase(it);
      } else {
        next = next ? std::min(*next, it->second.deadline) : it->second.deadline;
        ++it;
      }
    }
  }
  for (auto& [provider, workloads, detected_at] : due) {
    if (options_.replicas && !leads) {
      HandOver(provider, workloads, detected_at);
      continue;
    }
    auto busy = orchestrator_.StartRecovery(provider, workloads, detected_at);
    if (!busy.ok()) busy = workloads;  // the store is away: all of them again
    if (options_.replicas) {
      // Handed over ones started (or moot: moved meanwhile) are done with.
      WriteBatch done;
      for (const auto& id : workloads)
        if (std::find(busy->begin(), busy->end(), id) == busy->end()) done.HashDelete(kHandedOverKey, provider + "\n" + id);
      (void)orchestrator_.store().Apply(done);  // else started again by the next pass: StartRecovery skips it
    }
    if (busy->empty()) continue;
    // Another operation runs for these (their place, say): try again after
    // a window, while they still count as failed.
    std::lock_guard lock(mu_);
    for (const auto& id : *busy) {
      auto w = watches_.find(id);
      // Handed over by another broker (not watched here): tried again too.
      if (w != watches_.end() && !w->second.failed) continue;
      JoinGroupLocked(provider, id, now);
      Group& group = groups_[provider];
      group.detected_at = std::min(group.detected_at, detected_at);  // when it was first detected, not retried
      const MonoTime again = group.deadline;
      next = next ? std::min(*next, again) : again;
    }
  }
  // With replicas: the leader looks for handed-over detections, and a
  // broker that leads only later (at start, or after a handover) finds
  // its own there too.
  if (options_.replicas) next = next ? std::min(*next, now + kGatherEvery) : now + kGatherEvery;
  return next;
}

ProbeScheduleStats Detector::TakeProbeStats() { return schedule_ ? schedule_->TakeStats() : ProbeScheduleStats{}; }

bool Detector::Failed(const std::string& workload) const {
  std::lock_guard lock(mu_);
  auto it = watches_.find(workload);
  return it != watches_.end() && it->second.failed;
}

}  // namespace icb
