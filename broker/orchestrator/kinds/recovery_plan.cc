#include "broker/orchestrator/kinds/recovery_plan.h"

#include <algorithm>
#include <map>

namespace icb {

void SortForRecovery(std::vector<PlannedWorkload>& plan) {
  std::stable_sort(plan.begin(), plan.end(), [](const PlannedWorkload& a, const PlannedWorkload& b) {
    return a.workload.priority != b.workload.priority ? a.workload.priority < b.workload.priority : a.workload.id < b.workload.id;
  });
}

Status AssignTargets(const WorkloadKindDeps& d, std::vector<PlannedWorkload>& plan, const std::set<std::string>& excluded, double waited_s) {
  // Room reserved in priority order: what moving workloads will take (once
  // scaled up, the provider counts them itself), what assigned ones take,
  // and what a waiting one would take if its RTO ran out now.
  std::map<std::string, int> reserved;
  for (const auto& p : plan)
    if (p.state == "moving" && !p.scaled && !p.target.empty()) reserved[p.target] += p.workload.instances;
  CandidateReads reads;  // one ranking per profile, one capacity read per provider
  for (auto& p : plan) {
    if (!p.state.empty()) continue;
    const Workload& w = p.workload;
    ICB_ASSIGN_OR_RETURN(p.candidates, EvaluateCandidates(d, w, excluded, reserved, &reads));
    const Candidate* best = nullptr;
    const Candidate* with_room = nullptr;
    for (const auto& c : p.candidates) {
      if (c.rank > 0 && !best) best = &c;
      if (c.fits() && !with_room) with_room = &c;
    }
    if (w.recovery_class == RecoveryClass::kQuality && best && with_room != best && waited_s < w.rto_s.value_or(0)) {
      p.state = "waiting";
      p.why = "waiting for best-ranked " + best->provider + " to have room for " + std::to_string(w.instances) + " instances";
      if (with_room) {
        p.fallback = with_room->provider;
        reserved[with_room->provider] += w.instances;  // its fallback stays free for it
      }
      continue;
    }
    if (!with_room) {
      p.state = "unplaced";
      p.why = "no candidate can take " + std::to_string(w.instances) + " instances of " + w.service;
      continue;
    }
    p.state = "assigned";
    p.target = with_room->provider;
    reserved[with_room->provider] += w.instances;
  }
  return Status::Ok();
}

}  // namespace icb
