// The recovery planner: which target each workload of one disaster gets,
// in the order a recovery takes them. A recovery operation (recovery.h)
// plans with it on every look, and a drill (drills/drill.h) plans with it
// over read-only adapters, so what a drill predicts is what a recovery
// does with the same catalog, capacity and history.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "broker/orchestrator/kinds/steps.h"

namespace icb {

struct PlannedWorkload {
  Workload workload;
  // Set by the caller before planning (AssignTargets leaves it):
  // moving (its failover runs or ran) | moved (another operation moved it
  // off the source) | busy (another operation holds it). Set by
  // AssignTargets: assigned | waiting | unplaced.
  std::string state;
  bool scaled = false;   // moving, and its capacity is up at the target (the provider counts it)
  std::string target;    // assigned, moving
  std::string child;     // moving: the failover
  std::string fallback;  // waiting: the target with room it would take once its RTO is spent
  std::vector<Candidate> candidates;
  std::string why;       // moved, busy, waiting, unplaced
};

// Recovery order: priority 1 first, then by id.
void SortForRecovery(std::vector<PlannedWorkload>& plan);

// Chooses, in `plan`'s order, a target for every workload with no state
// yet; capacity is reserved in that order, so a lower priority never takes
// the room a higher one needs (moving workloads not yet scaled count at
// their target too). `fast` takes the best-ranked candidate with room now;
// `quality` waits for its best-ranked one while `waited_s` is below its RTO
// (its fallback's room kept for it). Providers in `excluded` are never
// chosen. One ranking per profile and one capacity read per provider.
Status AssignTargets(const WorkloadKindDeps& d, std::vector<PlannedWorkload>& plan, const std::set<std::string>& excluded, double waited_s);

}  // namespace icb
