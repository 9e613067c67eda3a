#include "broker/qos/probe_metrics.h"

namespace icb {

Result<ProbeMetrics> DeclareProbeMetrics(MetricRegistry& registry) {
  ProbeMetrics m;
  ICB_ASSIGN_OR_RETURN(m.outcomes, registry.AddCounter("icbroker_probes_total",
                                                       "Probes ended (endpoints', workloads' and audiences'), by provider and outcome (ok, or "
                                                       "why not: timeout, connect, status, body).",
                                                       {"provider", "outcome"}));
  ICB_ASSIGN_OR_RETURN(m.seconds, registry.AddHistogram("icbroker_probe_duration_seconds",
                                                        "Probes that got an answer, from the request sent (or the connection begun) to the "
                                                        "answer judged, by provider.",
                                                        DurationBuckets(), {"provider"}));
  return m;
}

namespace {

class Counting final : public AsyncProbeRunner {
 public:
  Counting(std::unique_ptr<AsyncProbeRunner> inner, ProbeMetrics metrics) : inner_(std::move(inner)), metrics_(metrics) {}
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    inner_->Start(std::move(target), [metrics = metrics_, done = std::move(done)](QosSample s) {
      metrics.outcomes->With({s.provider, s.ok ? std::string_view("ok") : ProbeErrorName(s.error)}).Inc();
      if (s.latency_ms) metrics.seconds->With({s.provider}).Observe(*s.latency_ms / 1000.0);
      done(std::move(s));
    });
  }

 private:
  std::unique_ptr<AsyncProbeRunner> inner_;
  ProbeMetrics metrics_;
};

}  // namespace

std::unique_ptr<AsyncProbeRunner> CountingProbeRunner(std::unique_ptr<AsyncProbeRunner> inner, ProbeMetrics metrics) {
  return std::make_unique<Counting>(std::move(inner), metrics);
}

}  // namespace icb
