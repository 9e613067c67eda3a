// The broker's own measurements of providers: every enabled endpoint in the
// catalog probed at its interval from this vantage point, on one
// ProbeSchedule (phases spread by the endpoint's name), its samples stored
// in batches. Time comes from the injected clock, so tests advance it
// instead of sleeping.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/qos/probe_schedule.h"

namespace icb {

class EndpointProber {
 public:
  // Receives each batch of samples (ts: sent; vantage: this one).
  using Sink = std::function<Status(const std::vector<QosSample>&)>;
  EndpointProber(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& runner, std::string vantage, Sink sink);
  ~EndpointProber();
  EndpointProber(const EndpointProber&) = delete;
  EndpointProber& operator=(const EndpointProber&) = delete;

  // Replaces the target list: a target that stays keeps its slots, a new or
  // changed one starts at its next slot, a removed one stops.
  void SetTargets(const std::vector<ProbeTarget>& targets);
  // Keeps the targets in step with the catalog: a task that reads `targets`
  // every `every` (the catalog's own refresh makes this cheap); nullopt
  // (the catalog could not be read) keeps the current ones.
  void FollowCatalog(std::function<std::optional<std::vector<ProbeTarget>>()> targets, Millis every);
  size_t size() const { return schedule_.size(); }
  ProbeScheduleStats TakeStats() { return schedule_.TakeStats(); }

 private:
  Scheduler& scheduler_;
  const Clock& clock_;
  std::string vantage_;
  Sink sink_;
  ProbeSchedule schedule_;
  std::mutex mu_;
  bool following_ = false;
};

}  // namespace icb
