// The localize controller: every second, for every workload with
// audiences, asks the latency trigger policy what each audience's latency
// at the placement, measured from its vantage (the audience meter), makes
// of it, and starts a `localize` (an audience over its objective, served
// at the placement) or a `delocalize` (an audience away whose placement
// would meet its objective again, or that fell silent, for its cooldown).
// An audience served away whose provider stops answering its vantage
// (failover.failures probes in a row) is brought back at once, as an
// outage's recovery. Level triggered: capacity a failed localize left borrowed, and an
// audience served away that the workload no longer declares, are given
// back whatever the latency. One operation per workload at a time (it
// claims the workload's status); a failed one waits a window before the
// next. Only the broker holding the operations lease acts; the cooldown's
// start is durable (state/audiences.h), so a broker that takes over goes
// on from it.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "broker/core/scheduler.h"
#include "broker/orchestrator/kinds/localize.h"
#include "broker/orchestrator/state/audiences.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/orchestrator/triggers/trigger.h"

namespace icb {

class LocalizeController {
 public:
  // A new operation's id, in the space of the workload it is for.
  using NewId = std::function<std::string(const std::string& kind, const std::string& workload)>;
  // `started`: an operation was created (wake the runner).
  LocalizeController(const WorkloadKindDeps& deps, WorkloadCache& workloads, OperationRunner& runner, const LatencyTriggerPolicy& policy,
                     const AudienceLatencies& latencies, NewId new_id, std::function<void()> started);
  ~LocalizeController();
  LocalizeController(const LocalizeController&) = delete;
  LocalizeController& operator=(const LocalizeController&) = delete;

  void Start(Scheduler& scheduler);
  void Stop();
  // One pass over every workload with audiences (tests on a manual clock call it).
  void Pass();

 private:
  struct Launch {
    std::string kind, audience, source, reason;
    int instances_before = 0;
    double window_s = 300;
    nlohmann::json inputs = nlohmann::json::object();
    bool outage = false;  // the provider serving the audience does not answer: recovered as outages are
  };
  void Judge(const Workload& w, const WorkloadStatus& status, const std::optional<AudienceRecord>& stored, const Fence& fence);
  // Creates the operation, claiming the workload's status (fenced; a
  // changed status or record: the next pass looks again).
  Status StartOperation(const Workload& w, const WorkloadStatus& status, const Launch& start, const Fence& fence);

  WorkloadKindDeps d_;
  WorkloadCache& workloads_;
  OperationRunner& runner_;
  const LatencyTriggerPolicy& policy_;
  const AudienceLatencies& latencies_;
  NewId new_id_;
  std::function<void()> started_;
  Scheduler* scheduler_ = nullptr;
};

}  // namespace icb
