// The step library the workload kinds share: what they are built with
// (WorkloadKindDeps), how a candidate target is weighed, and the steps more
// than one kind runs (a provider that did not answer, capacity borrowed and
// given back, a target verified, the decision recorded). Place and failover
// (place_failover.h), recovery (recovery.h), burst (burst.h) and a
// workload's migration (migration.h) compose their steps from these.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"
#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/providers/provider_adapters.h"
#include "broker/orchestrator/state/audiences.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/qos/prober.h"
#include "broker/qos/service.h"
#include "broker/ranking/policy.h"
#include "broker/ranking/ranker.h"
#include "broker/store/store.h"

namespace icb {

// What each audience's vantage measured of each provider it may be served
// by (implemented by the audience meter, triggers/audience_meter.h).
class AudienceLatencies {
 public:
  virtual ~AudienceLatencies() = default;
  // Over the audience's window ending now; nullopt: not measured.
  virtual std::optional<LatencyReading> Latency(const std::string& workload, const std::string& audience, const std::string& provider) const = 0;
};

// The latencies of an audience meter attached later (none attached:
// nothing is measured): the kinds are built before the meter is.
class AttachedLatencies final : public AudienceLatencies {
 public:
  void Attach(const AudienceLatencies* meter) { meter_ = meter; }
  std::optional<LatencyReading> Latency(const std::string& workload, const std::string& audience, const std::string& provider) const override {
    return meter_ ? meter_->Latency(workload, audience, provider) : std::nullopt;
  }

 private:
  const AudienceLatencies* meter_ = nullptr;
};

// An audience's reading of `provider` as a decision shows it: p95, the
// samples, whether it is measured and meets `objective`; null when not measured.
nlohmann::json AudienceLatencyJson(const AudienceLatencies& latencies, const std::string& workload, const std::string& audience,
                                   const std::string& provider, double objective);

struct WorkloadKindDeps {
  Store& store;
  Catalog& catalog;
  ProviderAdapters& adapters;
  ProbeRunner& probes;  // verify: the target answers
  const PolicyRegistry& policies;
  QosService* qos;  // measured evidence for profiles that rank on it; null: published only
  const Clock& clock;
  Millis wait_recheck{1000};  // how often a waiting choice looks again
  // Automatic failovers: from their outage's first detection to the record
  // switched (icbroker_detection_to_switch_seconds); null: not counted.
  Histogram* detection_to_switch = nullptr;
};

// A workload's document in the catalog, typed.
Result<Workload> LoadWorkload(Catalog& catalog, const std::string& id);

// A provider that did not answer: the step waits and runs again, a few
// times (`attempts`); then `give_up`.
StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up);
StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up,
                          int attempts);

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
// The targets a choose_target run again must not choose: those its earlier
// runs recorded as tried, and op.target when `target_failed` (it did not
// take the workload or did not answer).
std::set<std::string> TriedTargets(const Operation& op, bool target_failed);
// verify: op.target answers at the URL ensure_capacity recorded, failover.recoveries
// probes in a row; else back to choose_target (`can_choose_again`) or fail.
// `vantage`: the probes name it (an audience's: the lab's providers answer
// each vantage after its own latency); empty: the broker's own.
StepOutcome VerifyStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, bool can_choose_again,
                       const std::string& vantage = "");

// release_capacity: scales `provider` back to `back_to` instances of the
// workload's service when it runs more (checked first, an absolute count:
// a step run again after a crash changes nothing twice). Detail: provider,
// instances found, instances_before, released.
StepOutcome ReleaseCapacityStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const std::string& provider, int back_to);

// The workload's DNS record set: the host of `url` (its placement's
// serving address) for every client, and each audience served away (in
// `away`, by audience id) the host of its provider's address for its
// networks (a view), in the workload's order of audiences; an audience no
// longer declared has no view. A and AAAA for addresses, CNAME for names;
// InvalidArgument when a view's address is not of the record's type (a
// CNAME answer has no views).
Result<DnsRecordSet> WorkloadRecord(const Workload& w, const std::string& url, const std::map<std::string, AudiencePlacement>& away);
// switch_dns (as `step`): `record` replaces the workload's at its DNS
// provider unless it reads back so already (a step run again after a
// crash). Detail: name, type, address, ttl, views, previous, changed.
StepOutcome SwitchRecordStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const std::string& step, const DnsRecordSet& record);

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

// What one plan over many workloads reads once (a recovery of hundreds:
// one ranking per catalog profile, one capacity read per provider, not one
// per workload); `reserved` then keeps its choices apart. Lives for one
// plan only: the next one reads afresh.
struct CandidateReads {
  std::map<std::string, RankResult> ranked;               // by catalog profile id
  std::map<std::string, Result<ComputeState>> states;     // by provider
};

// Every provider that could run `w` (a compute adapter; in its candidates,
// if it names any), except those in `excluded`: ranked with its profile,
// capacity asked of each one's compute adapter. In ranking order, the
// excluded by the profile last, with their reasons. `reserved` instances
// per provider are counted as taken (a recovery's earlier choices).
// `reads`, when given, is consulted and filled.
Result<std::vector<Candidate>> EvaluateCandidates(const WorkloadKindDeps& deps, const Workload& w, const std::set<std::string>& excluded,
                                                  const std::map<std::string, int>& reserved = {}, CandidateReads* reads = nullptr);

// The `decision` event of a choose_target: the candidates it weighed
// (`detail`) and the one it chose (null: none could take the workload).
AuditEvent DecisionEvent(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen, std::string summary,
                         const nlohmann::json& detail);
// How a choose_target ends, with its decision event ("workload W `verb`
// P (rank N)", or why not): no candidate (`chosen` null) fails the step
// with `why`; else it is done, settling op.target, its detail the weighed
// `detail` with the target and `chosen_extra` added.
StepOutcome ChooseTargetOutcome(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen,
                                const std::string& verb, const std::string& why, nlohmann::json detail,
                                const nlohmann::json& chosen_extra = nlohmann::json::object());

}  // namespace icb
