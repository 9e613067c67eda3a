#include "policies/load_trigger.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "broker/core/time.h"
#include "broker/qos/metrics.h"

namespace icb {

using nlohmann::json;

namespace {

enum class Level { kUnknown, kLow, kHigh };

// One signal over the window: its value (p95 or mean) against its threshold.
struct Signal {
  std::optional<double> value;
  size_t samples = 0;
  Level level = Level::kUnknown;
};

double Round1(double v) { return std::round(v * 10) / 10; }

}  // namespace

LoadDecision LoadTrigger::Evaluate(const std::vector<LoadSample>& samples, const LoadThresholds& t, const LoadState& state, TimePoint now) const {
  const TimePoint from = now - t.window;
  const TimePoint covered_by = now - t.window / 2;
  std::vector<double> latencies, utilizations;
  std::optional<TimePoint> oldest_latency, oldest_utilization;
  for (const auto& s : samples) {
    if (s.ts <= from || s.ts > now) continue;
    if (s.latency_ms) {
      latencies.push_back(*s.latency_ms);
      if (!oldest_latency) oldest_latency = s.ts;
    }
    if (s.utilization_percent) {
      utilizations.push_back(*s.utilization_percent);
      if (!oldest_utilization) oldest_utilization = s.ts;
    }
  }
  auto judged = [&](const std::vector<double>& values, const std::optional<TimePoint>& oldest) {
    return values.size() >= kMinSamples && oldest && *oldest <= covered_by;
  };
  Signal p95, utilization;
  p95.samples = latencies.size();
  utilization.samples = utilizations.size();
  if (t.p95_ms_above && judged(latencies, oldest_latency)) {
    std::sort(latencies.begin(), latencies.end());
    p95.value = NearestRank(latencies, 95);
    p95.level = *p95.value > *t.p95_ms_above ? Level::kHigh : Level::kLow;
  }
  if (t.utilization_above && judged(utilizations, oldest_utilization)) {
    utilization.value = std::accumulate(utilizations.begin(), utilizations.end(), 0.0) / static_cast<double>(utilizations.size());
    utilization.level = *utilization.value > *t.utilization_above ? Level::kHigh : Level::kLow;
  }
  // High when either signal is; low only when every judged one is low.
  Level load = Level::kUnknown;
  if (p95.level == Level::kHigh || utilization.level == Level::kHigh) load = Level::kHigh;
  else if (p95.level == Level::kLow || utilization.level == Level::kLow) load = Level::kLow;

  LoadDecision d;
  d.calm_since = state.calm_since;
  if (!state.bursting) {
    d.calm_since.reset();
    if (load == Level::kHigh) d.verdict = LoadVerdict::kBurst;
  } else if (load == Level::kHigh) {
    d.calm_since.reset();  // the cooldown starts over
  } else if (load == Level::kLow) {
    if (!d.calm_since) d.calm_since = now;
    if (now - *d.calm_since >= t.cooldown) d.verdict = LoadVerdict::kScaleBack;
  }
  const auto seconds = [](Millis m) { return static_cast<double>(m.count()) / 1000.0; };
  auto value = [](const std::optional<double>& v) { return v ? json(Round1(*v)) : json(nullptr); };
  d.inputs = {{"window_s", seconds(t.window)},
              {"p95_ms", value(p95.value)},
              {"p95_ms_above", t.p95_ms_above ? json(*t.p95_ms_above) : json(nullptr)},
              {"latency_samples", p95.samples},
              {"utilization_percent", value(utilization.value)},
              {"utilization_above", t.utilization_above ? json(*t.utilization_above) : json(nullptr)},
              {"utilization_samples", utilization.samples},
              {"load", load == Level::kHigh ? "high" : load == Level::kLow ? "low" : "unknown"},
              {"cooldown_s", seconds(t.cooldown)},
              {"calm_since", d.calm_since ? json(FormatRfc3339(*d.calm_since)) : json(nullptr)}};
  return d;
}

}  // namespace icb
