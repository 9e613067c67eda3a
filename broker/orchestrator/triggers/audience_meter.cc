#include "broker/orchestrator/triggers/audience_meter.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/state/audiences.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/ports/compute.h"
#include "broker/qos/metrics.h"

namespace icb {

namespace {

constexpr const char* kFollowTask = "audience-follow";
constexpr const char* kShareTask = "audience-share";
// The shared samples: an indexed log of records {"by": INSTANCE, "s":
// [[SERIES_KEY, TS_MS, OK, LATENCY_MS | null], ...]}, one per broker per
// share, each member once (a write retried after a lost answer adds
// nothing); trimmed to the longest window.
constexpr const char* kSharedLog = "icb:audience:log";
constexpr const char* kSharedSeen = "icb:audience:seen";
constexpr size_t kMaxUnshared = 100'000;  // samples held while the store is away; the oldest go first
constexpr size_t kReadPage = 200;
constexpr Millis kTrimEvery{30'000};

long long Ms(TimePoint t) { return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count(); }

}  // namespace

AudienceMeter::AudienceMeter(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& probes, Catalog& catalog, WorkloadCache& workloads,
                             Store& store, AudienceMeterOptions options)
    : scheduler_(scheduler), clock_(clock), probes_(probes), catalog_(catalog), workloads_(workloads), store_(store), options_(std::move(options)) {
  if (options_.replicas) instance_ = options_.replicas->options().self + "@" + std::to_string(Ms(clock_.Now()));
}

AudienceMeter::~AudienceMeter() { Stop(); }

void AudienceMeter::Start() {
  started_ = true;
  schedule_ = std::make_unique<ProbeSchedule>(scheduler_, clock_, probes_, ProbeScheduleOptions{"audience-probes", Millis(100)},
                                              [this](std::vector<ProbeAnswer> answers) { Answered(std::move(answers)); });
  scheduler_.Register(kFollowTask, [this]() -> std::optional<MonoTime> {
    Follow();
    return clock_.Monotonic() + options_.follow_every;
  });
  if (options_.replicas) scheduler_.Register(kShareTask, [this]() -> std::optional<MonoTime> {
    Share();
    return clock_.Monotonic() + options_.share_every;
  });
}

void AudienceMeter::Stop() {
  if (!started_) return;
  started_ = false;
  scheduler_.Unregister(kFollowTask);
  if (options_.replicas) scheduler_.Unregister(kShareTask);
  schedule_.reset();
}

void AudienceMeter::Follow() {
  auto set = workloads_.Read();
  if (!set.ok()) return;  // the store is away: keep measuring what we had
  auto catalog = catalog_.Snapshot();
  if (!catalog.ok()) return;  // as above
  // Where a candidate is measured before the service runs there: the first
  // endpoint of its catalog entry (a provider's front door answers its
  // users from as far as the service would).
  const auto front_door = [&](const std::string& provider) -> std::string {
    const ProviderEntry* e = (*catalog)->FindProvider(provider);
    return e && !e->provider.endpoints.empty() ? e->provider.endpoints.front().url : "";
  };
  std::map<std::string, Series> wanted;
  std::map<std::string, std::string> serving;
  std::map<std::string, std::vector<std::string>> by_workload;
  const auto [watched, ids] = WithAudiences(**set);
  // Their statuses in one round trip.
  auto statuses = GetRecords(store_, kWorkloadStatusRecord, ids);
  if (!statuses.ok()) return;  // as above
  for (size_t i = 0; i < watched.size(); ++i) {
    const Workload& w = *watched[i];
    const std::optional<WorkloadStatus>* status = &(*statuses)[i];
    if (!*status || (*status)->url.empty()) continue;  // not placed yet
    for (const auto& a : w.audiences) {
      const auto measure = [&](const std::string& provider, const std::string& url) {
        if (url.empty() || wanted.count(Key(w.id, a.id, provider))) return;
        Series s;
        s.vantage = a.vantage;
        s.provider = provider;
        s.url = url;
        s.window = Millis(static_cast<long long>(a.window_s * 1000));
        s.interval = w.failover.interval;
        wanted.emplace(Key(w.id, a.id, provider), std::move(s));
      };
      auto away = (*status)->audience_placements.find(a.id);
      const bool is_away = away != (*status)->audience_placements.end();
      serving[Key(w.id, a.id)] = is_away ? away->second.provider : (*status)->placement;
      measure((*status)->placement, (*status)->url);
      if (is_away) measure(away->second.provider, away->second.url);
      std::vector<std::string> candidates = !a.candidates.empty() ? a.candidates : w.candidates;
      if (candidates.empty())
        for (const auto& e : (*catalog)->providers)
          if (e.provider.adapters.count(ComputeProvider::kCapability)) candidates.push_back(e.provider.id);
      if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);
      for (const auto& c : candidates) measure(c, front_door(c));
      by_workload[w.id].push_back(a.id);
    }
  }
  std::map<std::string, ScheduledProbe> probes;
  const std::vector<std::string> owners = options_.replicas ? options_.replicas->Owners() : std::vector<std::string>();
  {
    std::lock_guard lock(mu_);
    for (auto it = series_.begin(); it != series_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end()) {
        it = series_.erase(it);
        continue;
      }
      Series& now = it->second;
      // Another vantage, provider or address: another series.
      if (now.vantage != w->second.vantage || now.provider != w->second.provider || now.url != w->second.url) now.samples.clear();
      now.vantage = w->second.vantage;
      now.provider = w->second.provider;
      now.url = w->second.url;
      now.window = w->second.window;
      now.interval = w->second.interval;
      wanted.erase(w);
      ++it;
    }
    for (auto& [key, s] : wanted) series_.emplace(key, std::move(s));
    by_workload_ = std::move(by_workload);
    serving_ = std::move(serving);
    followed_ = true;
    Millis longest{0};
    for (const auto& [key, s] : series_) {
      longest = std::max(longest, s.window);
      if (std::find(options_.vantages.begin(), options_.vantages.end(), s.vantage) == options_.vantages.end()) continue;
      // Another broker's workload: it probes, this one reads its samples.
      if (options_.replicas && ReplicaSet::OwnerOf(key.substr(0, key.find(' ')), owners) != options_.replicas->options().self) continue;
      // The series' audience (the key's middle part) names the probe.
      const size_t a = key.find(' ') + 1;
      ProbeTarget target{s.provider, "audience:" + key.substr(a, key.find(' ', a) - a), s.url, ProbeSettings{}, s.vantage};
      target.settings.interval = s.interval;
      // Long enough to measure a slow answer (what this is for), bounded so
      // a hanging address is a failure within a few seconds.
      target.settings.timeout = std::max(s.interval, Millis(2000));
      probes.emplace(key, ScheduledProbe{std::move(target), SpreadPhase(key, s.interval, options_.probe_spread)});
    }
    if (longest > Millis(0)) keep_ = longest + Millis(60'000);
  }
  if (schedule_) schedule_->Set(probes);
}

void AudienceMeter::AddLocked(const std::string& key, Series& series, Sample sample, bool share) {
  const TimePoint keep_from = clock_.Now() - series.window;
  if (sample.ts < keep_from) return;
  if (share && options_.replicas) {
    if (unshared_.size() == kMaxUnshared) unshared_.pop_front();
    unshared_.emplace_back(key, sample);
  }
  // In the order sent: pushed batches and slow answers arrive out of order.
  auto at = std::upper_bound(series.samples.begin(), series.samples.end(), sample.ts, [](TimePoint t, const Sample& x) { return t < x.ts; });
  series.samples.insert(at, std::move(sample));
  while (!series.samples.empty() && series.samples.front().ts < keep_from) series.samples.pop_front();
}

void AudienceMeter::Answered(std::vector<ProbeAnswer> answers) {
  std::lock_guard lock(mu_);
  for (const auto& a : answers) {
    auto it = series_.find(a.key);
    if (it == series_.end() || it->second.url != a.target->url) continue;  // moved meanwhile: the old address's answer
    AddLocked(it->first, it->second, Sample{a.sample.ts, a.sample.ok, a.sample.latency_ms}, true);
  }
}

void AudienceMeter::Share() {
  PublishUnshared();
  ReadShared();
  const MonoTime now = clock_.Monotonic();
  if (!trimmed_at_ || now - *trimmed_at_ >= kTrimEvery) {
    TrimShared();
    trimmed_at_ = now;
  }
}

void AudienceMeter::PublishUnshared() {
  if (!publishing_) {
    std::deque<std::pair<std::string, Sample>> out;
    {
      std::lock_guard lock(mu_);
      out.swap(unshared_);
    }
    if (out.empty()) return;
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& [key, x] : out)
      samples.push_back({key, Ms(x.ts), x.ok ? 1 : 0, x.latency_ms ? nlohmann::json(*x.latency_ms) : nlohmann::json()});
    publishing_.emplace(instance_ + "/" + std::to_string(++published_), nlohmann::json{{"by", instance_}, {"s", std::move(samples)}}.dump());
  }
  // The same member until written: a retry after a lost answer adds nothing.
  AppendGroup record{kSharedSeen, kSharedLog, {*publishing_}, true};
  record.times = {Ms(clock_.Now())};
  if (store_.AppendUnique({record}, {}).ok()) publishing_.reset();  // else the next share tries it again, then the rest
}

void AudienceMeter::ReadShared() {
  {
    std::lock_guard lock(mu_);
    // What it read now would find no series (the records stay for later).
    if (!followed_ || series_.empty()) return;
  }
  for (;;) {
    auto page = store_.LogRead(kSharedLog, "", read_after_, kReadPage);
    if (!page.ok()) return;  // the next share
    std::lock_guard lock(mu_);
    for (const auto& entry : *page) {
      read_after_ = entry.seq;
      const nlohmann::json record = nlohmann::json::parse(entry.record, nullptr, false);
      if (!record.is_object() || record.value("by", "") == instance_ || !record.contains("s") || !record["s"].is_array()) continue;
      for (const auto& x : record["s"]) {
        if (!x.is_array() || x.size() != 4 || !x[0].is_string() || !x[1].is_number_integer() || !x[2].is_number_integer()) continue;
        auto it = series_.find(x[0].get<std::string>());
        if (it == series_.end()) continue;  // not measured here (yet, or any more)
        Sample sample{TimePoint(Millis(x[1].get<long long>())), x[2].get<int>() != 0, std::nullopt};
        if (x[3].is_number()) sample.latency_ms = x[3].get<double>();
        AddLocked(it->first, it->second, sample, false);
      }
    }
    if (page->size() < kReadPage) return;
  }
}

void AudienceMeter::TrimShared() {
  Millis keep;
  {
    std::lock_guard lock(mu_);
    keep = keep_;
  }
  auto first_kept = store_.LogSeek(kSharedLog, Ms(clock_.Now() - keep));
  if (!first_kept.ok()) return;
  long long below = 0;
  if (*first_kept) {
    below = **first_kept;
  } else {
    auto size = store_.LogStat(kSharedLog);  // every record older: all go
    if (!size.ok()) return;
    below = size->last + 1;
  }
  for (int i = 0; i < 100; ++i) {
    auto trimmed = store_.LogTrim(kSharedLog, kSharedSeen, below, 1000);
    if (!trimmed.ok() || *trimmed < 1000) return;
  }
}

Status AudienceMeter::Push(const std::string& workload, const std::string& vantage, const std::vector<VantageSample>& samples,
                           const std::string& provider) {
  std::lock_guard lock(mu_);
  auto audiences = by_workload_.find(workload);
  bool measured = false;
  if (audiences != by_workload_.end())
    for (const auto& audience : audiences->second) {
      auto serving = serving_.find(Key(workload, audience));
      const std::string of = !provider.empty() ? provider : serving != serving_.end() ? serving->second : "";
      auto it = series_.find(Key(workload, audience, of));
      if (it == series_.end() || it->second.vantage != vantage) continue;
      measured = true;
      for (const auto& s : samples) AddLocked(it->first, it->second, Sample{s.ts, s.ok, s.latency_ms}, true);
    }
  if (!measured)
    return NotFound("no audience of workload " + workload + " is measured from vantage " + vantage + (provider.empty() ? "" : " at " + provider));
  return Status::Ok();
}

std::optional<AudienceReading> AudienceMeter::Read(const std::string& workload, const std::string& audience) const {
  std::lock_guard lock(mu_);
  auto serving = serving_.find(Key(workload, audience));
  if (serving == serving_.end()) return std::nullopt;
  return ReadLocked(Key(workload, audience, serving->second));
}

std::optional<AudienceReading> AudienceMeter::Read(const std::string& workload, const std::string& audience, const std::string& provider) const {
  std::lock_guard lock(mu_);
  return ReadLocked(Key(workload, audience, provider));
}

std::optional<LatencyReading> AudienceMeter::Latency(const std::string& workload, const std::string& audience, const std::string& provider) const {
  auto r = Read(workload, audience, provider);
  if (!r) return std::nullopt;
  return r->latency();
}

std::optional<AudienceReading> AudienceMeter::ReadLocked(const std::string& key) const {
  auto it = series_.find(key);
  if (it == series_.end()) return std::nullopt;
  const Series& s = it->second;
  AudienceReading r;
  r.vantage = s.vantage;
  r.provider = s.provider;
  const TimePoint from = clock_.Now() - s.window;
  std::vector<double> latencies;
  for (const auto& x : s.samples) {
    if (x.ts < from) continue;
    if (!r.oldest) r.oldest = x.ts;
    r.newest = x.ts;
    if (!x.ok) {
      ++r.failed;
      ++r.failing;
      continue;
    }
    r.failing = 0;
    ++r.ok;
    if (x.latency_ms) latencies.push_back(*x.latency_ms);
  }
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    r.p95_ms = NearestRank(latencies, 95);
  }
  return r;
}

}  // namespace icb
