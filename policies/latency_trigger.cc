#include "policies/latency_trigger.h"

#include <cmath>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

LatencyDecision LatencyTrigger::Evaluate(const LatencyReading& r, const LatencyObjective& objective, const AudienceState& state, TimePoint now) const {
  const bool covered = r.measured() && r.oldest && *r.oldest <= now - objective.window / 2;
  const bool silent = r.ok + r.failed == 0;
  const bool over = covered && *r.p95_ms > objective.p95_ms;
  const bool met = covered && *r.p95_ms <= objective.p95_ms;

  LatencyDecision d;
  d.calm_since = state.calm_since;
  if (!state.localized) {
    d.calm_since.reset();
    if (over) d.verdict = LatencyVerdict::kLocalize;
  } else if (over) {
    d.calm_since.reset();  // the cooldown starts over
  } else if (met || silent) {
    if (!d.calm_since) d.calm_since = now;
    if (now - *d.calm_since >= objective.cooldown) d.verdict = LatencyVerdict::kDelocalize;
  }
  const auto seconds = [](Millis m) { return static_cast<double>(m.count()) / 1000.0; };
  d.inputs = {{"p95_ms", r.p95_ms ? json(std::round(*r.p95_ms * 10) / 10) : json(nullptr)},
              {"objective_p95_ms", objective.p95_ms},
              {"window_s", seconds(objective.window)},
              {"samples", {{"ok", r.ok}, {"failed", r.failed}}},
              {"latency", over ? "over" : met ? "met" : silent ? "silent" : "unknown"},
              {"cooldown_s", seconds(objective.cooldown)},
              {"calm_since", d.calm_since ? json(FormatRfc3339(*d.calm_since)) : json(nullptr)}};
  return d;
}

}  // namespace icb
