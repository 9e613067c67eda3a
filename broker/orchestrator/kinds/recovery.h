// The recovery kind: one provider's disaster (docs/architecture.md, "Wire
// names").
//
//   recovery  choose_targets -> failovers -> await
//
// Its workloads in priority order (1 first, ties by id), capacity reserved
// in that order so a lower priority never takes the room a higher one
// needed; `fast` takes the best target with room now, `quality` only its
// best-ranked one, waiting until it has room or its RTO is spent; each
// placed workload moves as a failover of its own to its reserved target;
// every one left without a target is reported with the reason per
// candidate. The plan is made again on every look while some workload
// waits; the children are found again by their idempotency keys, so a
// broker killed anywhere starts each child once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/place_failover.h"
#include "broker/orchestrator/kinds/steps.h"

namespace icb {

inline const std::vector<std::string> kRecoverySteps = {"choose_targets", "failovers", "await"};

// Starts one failover of a recovery (the orchestrator's StartFailover).
using StartFailoverFn = std::function<Result<Operation>(const std::string& workload, const FailoverRequest& request)>;

OperationKind RecoveryKind(const WorkloadKindDeps& deps, StartFailoverFn start);

}  // namespace icb
