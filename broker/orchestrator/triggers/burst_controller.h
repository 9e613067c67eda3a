// The burst controller: for every workload with `burst`, samples its load
// at its placement every failover.interval_s (a probe of its serving
// address for latency, the compute adapter's utilisation of its service),
// asks the load trigger policy, and starts a `burst` or a `scale_back`
// operation when it says so. Level triggered: a burst record that no
// longer fits the world (the workload failed over elsewhere while burst,
// or a failed burst left capacity borrowed) is scaled back whatever the
// load. Only the broker holding the operations lease samples and acts;
// samples live in memory, so a broker that takes over judges afresh once
// it has covered a window (the cooldown's start is in the burst record).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/scheduler.h"
#include "broker/orchestrator/kinds/burst.h"
#include "broker/orchestrator/state/burst.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/orchestrator/triggers/trigger.h"

namespace icb {

class BurstController {
 public:
  // A new operation's id, in the space of the workload it is for.
  using NewId = std::function<std::string(const std::string& kind, const std::string& workload)>;
  // `started`: an operation was created (wake the runner).
  BurstController(const WorkloadKindDeps& deps, WorkloadCache& workloads, OperationRunner& runner, const LoadTriggerPolicy& policy, NewId new_id,
                  std::function<void()> started);
  ~BurstController();
  BurstController(const BurstController&) = delete;
  BurstController& operator=(const BurstController&) = delete;

  // Registers the follow task (every second); sample tasks follow the workloads.
  void Start(Scheduler& scheduler);
  void Stop();

  // Which workloads to sample (tests on a manual clock call it).
  void Follow();
  // One sample of `workload`'s load and what the policy makes of it;
  // returns when the next is due.
  std::optional<MonoTime> Sample(const std::string& workload);

 private:
  struct Watch {
    Millis interval{1000};
    std::string placement;  // the samples are of this placement
    std::vector<LoadSample> samples;
  };
  // The thresholds for `w` at `placement` (p95 default: the SLA's target there).
  LoadThresholds Thresholds(const Workload& w, const std::string& placement) const;
  // Creates a burst or scale_back for `w` (claims its status; fenced).
  Status StartOperation(const std::string& kind, const Workload& w, const WorkloadStatus& status, const BurstRecord& rec,
                        const nlohmann::json& inputs, const std::string& reason, const Fence& fence);
  static std::string TaskName(const std::string& workload) { return "load:" + workload; }

  WorkloadKindDeps d_;
  WorkloadCache& workloads_;
  OperationRunner& runner_;
  const LoadTriggerPolicy& policy_;
  NewId new_id_;
  std::function<void()> started_;
  Scheduler* scheduler_ = nullptr;
  std::mutex mu_;
  std::map<std::string, Watch> watches_;
};

}  // namespace icb
