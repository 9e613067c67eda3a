#include "broker/qos/probe_schedule.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <queue>
#include <tuple>

namespace icb {

Millis SpreadPhase(const std::string& key, Millis interval, Millis spread) {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  const auto width = std::max<int64_t>(1, std::min(interval, spread).count());
  return Millis(static_cast<int64_t>(h % static_cast<uint64_t>(width)));
}

namespace {

// The first slot at or after `now` of a schedule with this interval and phase.
MonoTime SlotAtOrAfter(MonoTime now, Millis interval, Millis phase) {
  const int64_t n = now.time_since_epoch().count(), i = std::max<int64_t>(1, interval.count()), p = phase.count() % i;
  const int64_t r = ((n - p) % i + i) % i;
  return MonoTime(Millis(r == 0 ? n : n + (i - r)));
}

bool SameTarget(const ProbeTarget& a, const ProbeTarget& b) {
  const auto &x = a.settings, &y = b.settings;
  return a.provider == b.provider && a.endpoint == b.endpoint && a.url == b.url && a.vantage == b.vantage && x.enabled == y.enabled && x.interval == y.interval &&
         x.timeout == y.timeout && x.expect_status == y.expect_status && x.expect_body == y.expect_body;
}

// A probe whose answer is late by a whole interval has one more in flight
// at its next slot; a third is not started (that slot is skipped).
constexpr int kMaxInFlightPerProbe = 2;

// Lateness in 1 ms buckets up to 10 s, and one for anything later.
class LatenessHistogram {
 public:
  void Add(Millis late) {
    const auto ms = std::max<int64_t>(0, late.count());
    ++buckets_[static_cast<size_t>(std::min<int64_t>(ms, kBuckets - 1))];
    ++count_;
    max_ms_ = std::max(max_ms_, static_cast<double>(ms));
  }
  double Quantile(double q) const {
    if (count_ == 0) return 0;
    const uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < kBuckets; ++b)
      if ((seen += buckets_[b]) >= rank) return static_cast<double>(b);
    return max_ms_;
  }
  double max_ms() const { return max_ms_; }

 private:
  static constexpr size_t kBuckets = 10'001;
  std::array<uint32_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  double max_ms_ = 0;
};

}  // namespace

struct ProbeSchedule::State : std::enable_shared_from_this<State> {
  State(Scheduler& s, const Clock& c, AsyncProbeRunner& r, ProbeScheduleOptions o, Deliver d)
      : scheduler(s), clock(c), runner(r), options(std::move(o)), deliver(std::move(d)) {}

  struct Start {
    std::string key;
    std::shared_ptr<const ProbeTarget> target;
  };

  struct Entry {
    std::shared_ptr<const ProbeTarget> target;  // what each start shares
    Millis phase{0};
    uint64_t generation = 0;
    MonoTime due;
    int in_flight = 0;
  };
  using Slot = std::tuple<MonoTime, uint64_t, std::string>;  // due, generation, key

  std::string answers_task() const { return options.name + "-answers"; }

  // Under mu.
  void PutLocked(const std::string& key, const ScheduledProbe& probe, MonoTime now) {
    auto it = entries.find(key);
    if (it != entries.end() && it->second.phase == probe.phase && SameTarget(*it->second.target, probe.target)) return;
    Entry e;
    e.target = std::make_shared<const ProbeTarget>(probe.target);
    e.phase = probe.phase;
    e.generation = next_generation++;
    e.due = SlotAtOrAfter(now, probe.target.settings.interval, probe.phase);
    if (it != entries.end()) e.in_flight = it->second.in_flight;
    slots.emplace(e.due, e.generation, key);
    entries[key] = std::move(e);
  }

  std::optional<MonoTime> StartDue() {
    // Kept between ticks (only this task touches it, and a task never runs
    // twice at once): a fresh vector a tick, hundreds of ticks a second, was
    // a large allocation each that made malloc consolidate its free lists.
    std::vector<Start>& starting = starting_;
    const MonoTime now = clock.Monotonic();
    std::optional<MonoTime> next;
    {
      std::lock_guard lock(mu);
      while (!slots.empty() && std::get<0>(slots.top()) <= now) {
        auto [due, generation, key] = slots.top();
        slots.pop();
        auto it = entries.find(key);
        if (it == entries.end() || it->second.generation != generation || it->second.due != due) continue;  // replaced or removed
        Entry& e = it->second;
        const Millis interval = std::max(Millis(1), e.target->settings.interval);
        // Behind by whole intervals (a stalled process): those slots are gone.
        const int64_t missed = (now - due) / interval;
        skipped += static_cast<uint64_t>(missed);
        const MonoTime slot = due + interval * missed;
        if (e.in_flight >= kMaxInFlightPerProbe) {
          ++skipped;
        } else {
          ++e.in_flight;
          ++started;
          lateness.Add(std::chrono::duration_cast<Millis>(now - slot));
          starting.push_back({key, e.target});
        }
        e.due = slot + interval;
        slots.emplace(e.due, generation, key);
      }
      // Maybe a stale slot's time: an early, harmless tick.
      if (!slots.empty()) next = std::max(std::get<0>(slots.top()), now + options.tick);
    }
    const TimePoint sent = clock.Now();
    for (auto& s : starting) {
      std::shared_ptr<const ProbeTarget> target = s.target;  // copied first: the callback takes s.target itself
      runner.Start(std::move(target), [self = shared_from_this(), key = std::move(s.key), target = std::move(s.target), sent](QosSample sample) mutable {
        sample.ts = sent;
        self->Answered(std::move(key), std::move(target), std::move(sample));
      });
    }
    starting.clear();
    return next;
  }

  void Answered(std::string key, std::shared_ptr<const ProbeTarget> target, QosSample sample) {
    std::lock_guard lock(mu);
    if (closed) return;
    // A replaced probe's answer still frees its place: the key is what is probed.
    if (auto it = entries.find(key); it != entries.end() && it->second.in_flight > 0) --it->second.in_flight;
    answers.push_back({std::move(key), std::move(target), std::move(sample)});
    if (answers_idle) {
      answers_idle = false;
      scheduler.Wake(answers_task());
    }
  }

  std::optional<MonoTime> DeliverAnswers() {
    std::vector<ProbeAnswer> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(answers);
      if (batch.empty()) {
        answers_idle = true;
        return std::nullopt;
      }
      answers.reserve(batch.size());  // the next batch is about as large: one allocation, not a doubling series
    }
    // In the order they were sent: a slow answer lands after a quicker later
    // one. Answers arrive nearly in that order, so an insertion sort (stable,
    // linear when in order, no buffer) rather than stable_sort's buffer.
    const auto sent_before = [](const ProbeAnswer& a, const ProbeAnswer& b) { return a.sample.ts < b.sample.ts; };
    for (auto it = batch.begin(); it != batch.end(); ++it)
      std::rotate(std::upper_bound(batch.begin(), it, *it, sent_before), it, it + 1);
    deliver(std::move(batch));
    return clock.Monotonic() + options.batch_every;
  }

  Scheduler& scheduler;
  const Clock& clock;
  AsyncProbeRunner& runner;
  const ProbeScheduleOptions options;
  const Deliver deliver;

  std::mutex mu;
  bool closed = false;
  std::map<std::string, Entry> entries;
  uint64_t next_generation = 1;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> slots;
  std::vector<ProbeAnswer> answers;
  bool answers_idle = true;  // the answers task waits for a Wake
  uint64_t started = 0, skipped = 0;
  LatenessHistogram lateness;
  std::vector<Start> starting_;  // StartDue's, reused
};

ProbeSchedule::ProbeSchedule(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& runner, ProbeScheduleOptions options, Deliver deliver)
    : scheduler_(scheduler), state_(std::make_shared<State>(scheduler, clock, runner, std::move(options), std::move(deliver))) {
  scheduler_.Register(state_->options.name, [s = state_] { return s->StartDue(); });
  scheduler_.Register(state_->answers_task(), [s = state_] { return s->DeliverAnswers(); });
}

ProbeSchedule::~ProbeSchedule() {
  {
    std::lock_guard lock(state_->mu);
    state_->closed = true;
  }
  scheduler_.Unregister(state_->options.name);
  scheduler_.Unregister(state_->answers_task());
}

void ProbeSchedule::Put(const std::string& key, const ScheduledProbe& probe) {
  const MonoTime now = state_->clock.Monotonic();
  {
    std::lock_guard lock(state_->mu);
    state_->PutLocked(key, probe, now);
  }
  scheduler_.Wake(state_->options.name);  // it may be due before what the task waits for
}

void ProbeSchedule::Remove(const std::string& key) {
  std::lock_guard lock(state_->mu);
  state_->entries.erase(key);  // its slot is dropped when it comes due
}

void ProbeSchedule::Set(const std::map<std::string, ScheduledProbe>& probes) {
  const MonoTime now = state_->clock.Monotonic();
  {
    std::lock_guard lock(state_->mu);
    auto& entries = state_->entries;
    for (auto it = entries.begin(); it != entries.end();) it = probes.count(it->first) ? std::next(it) : entries.erase(it);
    for (const auto& [key, probe] : probes) state_->PutLocked(key, probe, now);
  }
  scheduler_.Wake(state_->options.name);
}

size_t ProbeSchedule::size() const {
  std::lock_guard lock(state_->mu);
  return state_->entries.size();
}

ProbeScheduleStats ProbeSchedule::TakeStats() {
  std::lock_guard lock(state_->mu);
  ProbeScheduleStats s;
  s.started = state_->started;
  s.skipped = state_->skipped;
  s.lateness_p50_ms = state_->lateness.Quantile(0.50);
  s.lateness_p99_ms = state_->lateness.Quantile(0.99);
  s.lateness_max_ms = state_->lateness.max_ms();
  state_->started = state_->skipped = 0;
  state_->lateness = LatenessHistogram();
  return s;
}

}  // namespace icb
