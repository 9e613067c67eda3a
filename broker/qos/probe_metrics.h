// Probe outcomes and durations per provider on /metrics: a forwarding
// runner that counts what the runner it wraps answers, so the detector's,
// the endpoint prober's and the audience meter's probes are counted in one
// place whatever schedules them.
#pragma once

#include <memory>

#include "broker/core/metrics.h"
#include "broker/qos/prober.h"

namespace icb {

struct ProbeMetrics {
  Family<Counter>* outcomes = nullptr;  // icbroker_probes_total {provider, outcome: ok or the error's name}
  Family<Histogram>* seconds = nullptr;  // icbroker_probe_duration_seconds {provider}: probes that got an answer
};
Result<ProbeMetrics> DeclareProbeMetrics(MetricRegistry& registry);

// `inner` with each answer counted before it is handed on.
std::unique_ptr<AsyncProbeRunner> CountingProbeRunner(std::unique_ptr<AsyncProbeRunner> inner, ProbeMetrics metrics);

}  // namespace icb
