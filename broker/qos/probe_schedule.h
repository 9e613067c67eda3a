// Many probes on one fixed-rate schedule: each is due at phase + k x its
// interval on the monotonic clock, started on an AsyncProbeRunner when due
// (thousands in flight on its few loop threads), and its answers are handed
// over in batches on the scheduler's pool, never on the runner's loop (what
// a caller does with them may wait for Redis). Two scheduler tasks for the
// whole set, never one per probe; phases spread a set's probes over their
// interval, so ten thousand endpoints at 10 s are a thousand a second, not
// ten thousand every tenth second.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/scheduler.h"
#include "broker/qos/prober.h"

namespace icb {

struct ScheduledProbe {
  ProbeTarget target;  // target.settings.interval is its period
  Millis phase{0};     // its slots' offset within the period
};

struct ProbeAnswer {
  std::string key;
  std::shared_ptr<const ProbeTarget> target;  // as it was probed
  QosSample sample;  // ts: when it was sent, on the injected clock
};

// How the schedule kept time since the last TakeStats().
struct ProbeScheduleStats {
  uint64_t started = 0;
  // Slots passed over: the probe before was still in flight at its next
  // slot but one, or the schedule fell behind by whole intervals. A
  // skipped slot is honestly a gap (no data), never a burst later.
  uint64_t skipped = 0;
  // How long after its slot a probe was handed to the runner.
  double lateness_p50_ms = 0, lateness_p99_ms = 0, lateness_max_ms = 0;
};

struct ProbeScheduleOptions {
  std::string name;  // its tasks are "<name>" and "<name>-answers"
  // Answers gather this long before a batch is handed over (the first
  // after a quiet spell goes at once).
  Millis batch_every{100};
  // The schedule wakes at most this often, starting everything due: a
  // thousand probes a second are 200 wakes, not a thousand.
  Millis tick{5};
};

// Where a key's slots fall within `interval`: spread by the key's hash over
// `spread` (at most the interval), the same on every run and every broker.
Millis SpreadPhase(const std::string& key, Millis interval, Millis spread);

class ProbeSchedule {
 public:
  using Deliver = std::function<void(std::vector<ProbeAnswer>)>;
  ProbeSchedule(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& runner, ProbeScheduleOptions options, Deliver deliver);
  // Unregisters its tasks; answers still in flight are dropped.
  ~ProbeSchedule();
  ProbeSchedule(const ProbeSchedule&) = delete;
  ProbeSchedule& operator=(const ProbeSchedule&) = delete;

  // Adds or replaces one probe: unchanged (same target, interval, timeout
  // and phase), it keeps its slots; new or changed, it is due at its next
  // slot from now.
  void Put(const std::string& key, const ScheduledProbe& probe);
  void Remove(const std::string& key);
  // Replaces the whole set, as Put and Remove would one by one.
  void Set(const std::map<std::string, ScheduledProbe>& probes);
  size_t size() const;
  ProbeScheduleStats TakeStats();

  struct State;  // shared with the answers in flight

 private:
  Scheduler& scheduler_;
  std::shared_ptr<State> state_;
};

}  // namespace icb
