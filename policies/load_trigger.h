// load: a workload is under load when, over the last `window`, the p95 of
// its probe latencies (nearest rank, as the QoS metrics compute it) is
// above `p95_ms_above`, or the mean utilisation its compute adapter
// reported is above `utilization_above`. Not bursting, load bursts. While
// bursting, the cooldown starts when every signal is at or below its
// threshold and restarts whenever one rises above it again; load that stays
// low for the whole `cooldown` scales back. A judgement needs the window
// covered: at least kMinSamples samples of a signal, the oldest from the
// window's first half; until then nothing changes (a broker that just
// started, or a workload just placed, does not burst on one slow probe).
//
// So load swinging around a threshold faster than the cooldown bursts
// once and stays burst; it never flaps.
#pragma once

#include "broker/orchestrator/triggers/trigger.h"

namespace icb {

class LoadTrigger final : public LoadTriggerPolicy {
 public:
  static constexpr size_t kMinSamples = 3;
  LoadDecision Evaluate(const std::vector<LoadSample>& samples, const LoadThresholds& thresholds, const LoadState& state,
                        TimePoint now) const override;
};

}  // namespace icb
