#include "broker/qos/probe_metrics.h"

#include <array>
#include <mutex>
#include <unordered_map>

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
  Counting(std::unique_ptr<AsyncProbeRunner> inner, ProbeMetrics metrics) : metrics_(metrics), inner_(std::move(inner)) {}
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    inner_->Start(std::move(target), [this, done = std::move(done)](QosSample s) {
      const Series& series = SeriesOf(s.provider);
      series.outcomes[s.ok ? 0 : static_cast<size_t>(s.error)]->Inc();  // a failed sample always names its error
      if (s.latency_ms) series.seconds->Observe(*s.latency_ms / 1000.0);
      done(std::move(s));
    });
  }

 private:
  // A provider's children, found once: two thousand answers a second are
  // one hash lookup each, not a label vector built and compared.
  struct Series {
    std::array<Counter*, 5> outcomes{};  // ok (ProbeError::kNone's slot), then each error
    Histogram* seconds = nullptr;
  };
  const Series& SeriesOf(const std::string& provider) {
    std::lock_guard lock(mu_);
    auto it = series_.find(provider);
    if (it != series_.end()) return it->second;
    Series made;
    for (size_t e = 0; e < made.outcomes.size(); ++e) {
      const auto error = static_cast<ProbeError>(e);
      made.outcomes[e] = &metrics_.outcomes->With({provider, error == ProbeError::kNone ? std::string_view("ok") : ProbeErrorName(error)});
    }
    made.seconds = &metrics_.seconds->With({provider});
    return series_.emplace(provider, made).first->second;
  }

  ProbeMetrics metrics_;
  std::mutex mu_;
  std::unordered_map<std::string, Series> series_;  // nodes stay put: references are kept
  std::unique_ptr<AsyncProbeRunner> inner_;  // last: its loop ends before what its answers use
};

}  // namespace

std::unique_ptr<AsyncProbeRunner> CountingProbeRunner(std::unique_ptr<AsyncProbeRunner> inner, ProbeMetrics metrics) {
  return std::make_unique<Counting>(std::move(inner), metrics);
}

}  // namespace icb
