// Burst offload's operation kinds (DESIGN.md "Orchestration wire names"),
// registered by name in RegisterBurstKinds:
//
//   burst       choose_target -> ensure_capacity -> verify -> shift_traffic
//               (instances borrowed at the best-ranked secondary with room
//               and a server in the workload's split; it must answer before
//               any traffic goes there; then the split sends share_percent
//               to it, and the weights are read back)
//   scale_back  shift_traffic -> release_capacity
//               (every weight back on the placement, then the secondary
//               scaled back to what it ran before the burst)
//
// Weights are percentages of the split (0-100). Every provider call is
// idempotent (scale to a number, set weights) or checks first.
//
// The burst record (icb:workload:ID:burst) says whether a workload is
// burst and where to; the burst controller reads it to decide, the kinds
// write it when they finish.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "broker/orchestrator/runner.h"
#include "broker/orchestrator/workload_kinds.h"

namespace icb {

struct BurstRecord {
  bool bursting = false;
  std::string source;      // the placement it burst from
  // Where instances are borrowed; set while not bursting, what a burst that
  // failed after borrowing left there, for a scale back to give back.
  std::string secondary;
  int instances_before = 0;  // what the secondary ran of the service before
  std::string operation;   // the burst or scale_back running or last run
  std::optional<TimePoint> since;        // burst since
  std::optional<TimePoint> calm_since;   // load below every threshold since (the cooldown)
  std::optional<TimePoint> not_before;   // a failed burst or scale back waits until then
  long long version = 0;
};

std::string BurstKey(std::string_view workload);
Result<std::optional<BurstRecord>> GetBurst(Store& store, std::string_view workload);
CasWrite BurstWrite(std::string_view workload, const BurstRecord& r);

void RegisterBurstKinds(OperationKinds& kinds, const WorkloadKindDeps& deps);

}  // namespace icb
