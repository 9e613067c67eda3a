// latency: an audience served from the placement whose p95 there, measured
// from its vantage over the window, is above its objective is served from
// a provider nearer to it (localize). While it is away, the cooldown starts
// when the placement would meet the objective again, or when the audience
// falls silent (no sample in the window: nobody there to serve), and
// restarts whenever the placement is measured above the objective again;
// the whole cooldown calm brings it back (delocalize). A judgement needs the
// window covered: a measured reading (LatencyReading::kEnough successes), the oldest
// sample from the window's first half; until then nothing changes (one slow
// probe, or a vantage that just began reporting, moves nobody).
//
// So latency swinging around the objective faster than the cooldown moves
// the audience once and keeps it away; it never flaps.
#pragma once

#include "broker/orchestrator/triggers/trigger.h"

namespace icb {

class LatencyTrigger final : public LatencyTriggerPolicy {
 public:
  LatencyDecision Evaluate(const LatencyReading& at_placement, const LatencyObjective& objective, const AudienceState& state,
                           TimePoint now) const override;
};

}  // namespace icb
