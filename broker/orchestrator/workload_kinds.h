// The operation kinds that act on one workload (DESIGN.md "Orchestration
// wire names"), registered by name in RegisterWorkloadKinds:
//
//   place     ensure_capacity -> switch_dns -> verify
//             (a new or changed workload brought to where it runs)
//   failover  choose_target -> ensure_capacity -> sync_data -> switch_dns ->
//             verify -> drain_source
//
// Every provider call is idempotent (deploy by name, scale to a number, DNS
// replace) and carries a key made of the operation and the step, so a step
// run again after a crash repeats no effect. A target whose capacity went
// in the meantime or that does not verify sends a failover back to
// choose_target with that target excluded.
#pragma once

#include <optional>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"
#include "broker/orchestrator/provider_adapters.h"
#include "broker/orchestrator/runner.h"
#include "broker/orchestrator/workloads.h"
#include "broker/qos/prober.h"
#include "broker/qos/service.h"
#include "broker/ranking/policy.h"
#include "broker/store/store.h"

namespace icb {

struct WorkloadKindDeps {
  Store& store;
  Catalog& catalog;
  ProviderAdapters& adapters;
  ProbeRunner& probes;  // verify: the target answers
  const PolicyRegistry& policies;
  QosService* qos;  // measured evidence for profiles that rank on it; null: published only
  const Clock& clock;
  Millis wait_recheck{1000};  // how often a waiting choice looks again
};

void RegisterWorkloadKinds(OperationKinds& kinds, const WorkloadKindDeps& deps);

// Steps other workload kinds share (burst offload borrows capacity and
// verifies it as a failover does).
//
// A provider that did not answer: the step waits and runs again, a few
// times; then `give_up`.
StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up);
// ensure_capacity: deploys the workload's service at op.target and scales
// it to at least its instances (idempotent, keyed by the operation);
// `elsewhere` answers a target without room. Detail: url, instances and
// instances_before (what a scale back returns to).
StepOutcome EnsureCapacityStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w,
                               const std::function<StepOutcome(const std::string& why)>& elsewhere);
// What `provider` runs of `service` now; nullopt: its compute adapter did not say.
std::optional<int> InstancesAt(const WorkloadKindDeps& d, const std::string& provider, const std::string& service);
// A choose_target run again after its target failed verify or capacity
// gives back what this operation borrowed there: scales op.target back to
// the instances its previous choose_target recorded before anything was
// borrowed (instances_before; checked first, an absolute count, so a run
// again after a crash changes nothing twice). Returns the record to keep in
// the step's detail as `given_back` (what earlier runs gave back, and this
// one's: provider, from, to, or the error: a provider whose API does not
// answer does not hold the failover up).
nlohmann::json GiveBackPassedOver(const WorkloadKindDeps& d, const Operation& op, const Workload& w);
// verify: op.target answers at the URL ensure_capacity recorded, failover.recoveries
// probes in a row; else back to choose_target (`can_choose_again`) or fail.
StepOutcome VerifyStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, bool can_choose_again);

struct Candidate;
// The `decision` event of a choose_target: the candidates it weighed
// (`detail`) and the one it chose (null: none could take the workload).
AuditEvent DecisionEvent(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen, std::string summary,
                         const nlohmann::json& detail);

// Starts one failover of a recovery (the orchestrator's StartFailover).
struct FailoverRequest;
using StartFailoverFn = std::function<Result<Operation>(const std::string& workload, const FailoverRequest& request)>;

// recovery: choose_targets -> failovers -> await. One provider's disaster:
// its workloads in priority order (1 first, ties by id), capacity reserved
// in that order so a lower priority never takes the room a higher one
// needed; `fast` takes the best target with room now, `quality` only its
// best-ranked one, waiting until it has room or its RTO is spent; each
// placed workload moves as a failover of its own to its reserved target;
// every one left without a target is reported with the reason per
// candidate.
void RegisterRecoveryKind(OperationKinds& kinds, const WorkloadKindDeps& deps, StartFailoverFn start);

struct FailoverRequest {
  std::string to;                  // empty: the best target the profile ranks
  std::string idempotency_key;     // empty: none
  std::string trigger = "manual";  // manual | automatic
  std::string reason;
  std::vector<AuditEvent> events;  // recorded with the operation
};

// A workload's document in the catalog, typed.
Result<Workload> LoadWorkload(Catalog& catalog, const std::string& id);

// One provider considered as a workload's target.
struct Candidate {
  std::string provider;
  int rank = 0;      // in the profile's ranking; 0: excluded by the profile
  double score = 0;
  int room = -1;     // instances the workload could have there; -1: unknown
  std::vector<std::string> reasons;  // why it cannot take the workload (empty: it can)
  bool fits() const { return reasons.empty(); }
};
nlohmann::json CandidatesToJson(const std::vector<Candidate>& candidates);

// Every provider that could run `w` (a compute adapter; in its candidates,
// if it names any), except those in `excluded`: ranked with its profile,
// capacity asked of each one's compute adapter. In ranking order, the
// excluded by the profile last, with their reasons. `reserved` instances
// per provider are counted as taken (a recovery's earlier choices).
Result<std::vector<Candidate>> EvaluateCandidates(const WorkloadKindDeps& deps, const Workload& w, const std::set<std::string>& excluded,
                                                  const std::map<std::string, int>& reserved = {});

}  // namespace icb
