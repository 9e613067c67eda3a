// consecutive_failures: an address has failed when a quorum of the vantages
// that reported saw `failures` failed probes in a row (their latest ones),
// and has recovered when a quorum saw `recoveries` successes in a row. The
// quorum is the workload's `failover.quorum`, else a majority of the
// vantages that reported. A blip shorter than `failures` probes never
// counts, and a vantage that alone cannot reach the address is outvoted.
#pragma once

#include "broker/orchestrator/triggers/trigger.h"

namespace icb {

class ConsecutiveFailuresTrigger final : public TriggerPolicy {
 public:
  TriggerDecision Evaluate(const SamplesByVantage& samples, const FailoverSettings& settings, bool failed) const override;
  // The longest run it looks for: a longer one counts the same.
  size_t SamplesNeeded(const FailoverSettings& settings) const override;
};

}  // namespace icb
