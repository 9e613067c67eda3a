// Burst offload's operation kinds (docs/architecture.md, "Wire names"):
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
// The burst record (state/burst.h) says whether a workload is burst and
// where to; the burst controller reads it to decide, the kinds write it
// when they finish.
#pragma once

#include <string>
#include <vector>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/steps.h"

namespace icb {

inline const std::vector<std::string> kBurstSteps = {"choose_target", "ensure_capacity", "verify", "shift_traffic"};
inline const std::vector<std::string> kScaleBackSteps = {"shift_traffic", "release_capacity"};

// The kinds, for the orchestrator to register.
OperationKind BurstKind(const WorkloadKindDeps& deps);
OperationKind ScaleBackKind(const WorkloadKindDeps& deps);

}  // namespace icb
