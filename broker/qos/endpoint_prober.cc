#include "broker/qos/endpoint_prober.h"

#include <map>

namespace icb {

namespace {

constexpr const char* kFollowTask = "probe-targets";

std::string ProbeKey(const ProbeTarget& t) { return t.provider + "/" + t.endpoint + " " + t.url; }

}  // namespace

EndpointProber::EndpointProber(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& runner, std::string vantage, Sink sink)
    : scheduler_(scheduler),
      clock_(clock),
      vantage_(std::move(vantage)),
      sink_(std::move(sink)),
      // Samples are stored a quarter second's worth at a time: one write for
      // hundreds of probes.
      schedule_(scheduler, clock, runner, {"probe-endpoints", Millis(250)}, [this](std::vector<ProbeAnswer> answers) {
        std::vector<QosSample> samples;
        samples.reserve(answers.size());
        for (auto& a : answers) {
          a.sample.vantage = vantage_;
          samples.push_back(std::move(a.sample));
        }
        (void)sink_(samples);
      }) {}

EndpointProber::~EndpointProber() {
  std::lock_guard lock(mu_);
  if (following_) scheduler_.Unregister(kFollowTask);
}

void EndpointProber::SetTargets(const std::vector<ProbeTarget>& targets) {
  std::map<std::string, ScheduledProbe> probes;
  for (ProbeTarget t : targets) {
    t.vantage = vantage_;
    const std::string key = ProbeKey(t);
    // Spread over the whole interval: no two endpoints' probes need the same instant.
    probes[key] = {t, SpreadPhase(key, t.settings.interval, t.settings.interval)};
  }
  schedule_.Set(probes);
}

void EndpointProber::FollowCatalog(std::function<std::optional<std::vector<ProbeTarget>>()> targets, Millis every) {
  {
    std::lock_guard lock(mu_);
    following_ = true;
  }
  scheduler_.Register(kFollowTask, [this, targets = std::move(targets), every]() -> std::optional<MonoTime> {
    if (auto now_targets = targets()) SetTargets(*now_targets);  // else (store unreachable) keep probing what we had
    return clock_.Monotonic() + every;
  });
}

}  // namespace icb
