// Drills: what a disaster of some providers would do, predicted without
// doing any of it. The plan is the recovery's own (kinds/recovery_plan.h)
// over read-only adapters (providers/read_only_adapters.h): capacity and
// quota are read, nothing is deployed, scaled, switched or copied. Each
// workload's predicted RTO is the sum of its parts, each from what the
// broker measured of past operations where it has a measurement
// (docs/features.md, "Drills"):
//
//   detection  failover.interval_s x failover.failures
//   capacity   the target's ensure_capacity (deploy and scale) times of
//              past operations (any workload's), else its SLA's
//              scale_minutes; times the
//              waves it queues in behind higher priorities (the target's
//              calls in flight and the runner's workers); plus, for a
//              `quality` workload whose best target has no room, its RTO
//              waited before it takes the fallback
//   data       past sync_data times at the target (an automatic failover
//              takes the warm replica; it copies nothing)
//   dns        the record's TTL plus past switch_dns times
//   verify     past verify times, else failover.interval_s x recoveries
//
// and its predicted RPO the replica's lag at `at` plus the detection (the
// window a failover at detection would lose; 0 without data sets; null
// when no verified replica is at the target).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/tenant_space.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/engine/operation.h"
#include "broker/orchestrator/kinds/steps.h"
#include "broker/orchestrator/providers/call_gate.h"
#include "broker/orchestrator/state/workload_cache.h"

namespace icb {

struct DrillRequest {
  std::vector<std::string> providers;  // down together
  std::optional<TimePoint> at;         // when; unset: now
  Scope scope = Scope(TenantSpace::Default(), true);  // whose workloads the answer shows
  bool every_tenant = false;  // shows every tenant's (readiness' standing drills judge them all)
  std::string actor;                   // AuditEvent::actor
};

struct RtoParts {
  double detection_s = 0, capacity_s = 0, data_s = 0, dns_s = 0, verify_s = 0;
  double total() const { return detection_s + capacity_s + data_s + dns_s + verify_s; }
};

struct DrillWorkload {
  std::string workload;
  int priority = 1;
  std::string from;
  std::optional<std::string> target;  // nullopt: unplaced
  std::string unplaced_reason;
  bool automatic = true;   // false: an operator starts its failover
  std::optional<double> predicted_rto_s;
  RtoParts rto_parts;
  // Where each part's figure came from: measured (past operations), sla,
  // settings (the workload's own), none.
  std::map<std::string, std::string> rto_basis;
  int wave = 0;            // capacity calls it waits behind at its target, in waves
  double waits_s = 0;      // a quality workload's wait for its best target (in capacity_s)
  std::optional<double> predicted_rpo_s;
  std::string rpo_reason;  // why predicted_rpo_s is null
  std::optional<double> rto_s, rpo_s;  // its objectives
  std::optional<double> monthly_cost_change;  // at the target minus at the source, profile currency
  std::string currency;
};

struct Drill {
  std::string id;
  std::vector<std::string> providers;
  TimePoint at{};
  std::vector<DrillWorkload> workloads;  // the order a real recovery takes them
};

nlohmann::json DrillToJson(const Drill& d);
Result<Drill> DrillFromJson(const nlohmann::json& j);

struct DrillOptions {
  // Operations the runner advances side by side (0: one at a time).
  int operation_workers = 0;
  // A provider's own limit of compute calls in flight, and the default.
  CallLimitFn call_limit = nullptr;
  int provider_calls = 16;
  // Past operations read for the measured parts: the newest of each
  // workload (the planned ones first), this many in all at most.
  size_t history_per_workload = 20;
  size_t history_records = 2000;
};

class Drills {
 public:
  // `deps.adapters` is wrapped read-only here: nothing a drill runs changes
  // anything at a provider.
  Drills(const WorkloadKindDeps& deps, WorkloadCache& workloads, DrillOptions options);

  // Plans the disaster of r.providers at r.at: NotFound (at
  // /providers/N) for an unknown provider. Every workload running on them
  // is planned, whoever's (a real recovery takes them all in priority
  // order, and they compete for the same room), and the answer holds those
  // r.scope sees. Stores nothing.
  Result<Drill> Predict(const DrillRequest& r, std::string id);
  // A drill of each provider some workload runs on, down alone, all of one
  // moment (the workloads, statuses and history read once), every tenant's
  // workloads shown: the standing drills of readiness (readiness.h).
  // Stores nothing.
  Result<std::vector<Drill>> StandingDrills();
  // Predict, then stores the drill (icb:drill:ID, and each workload's
  // latest drill) with a `drill` audit event in one write.
  Result<Drill> Run(const DrillRequest& r, std::string id);
  // A stored drill; nullopt: none under that id.
  Result<std::optional<Drill>> Get(const std::string& id);
  // The latest drill that predicted `workload`'s recovery; nullopt: none.
  Result<std::optional<Drill>> LatestFor(const std::string& workload);
  // What that drill predicted for it from `from` (PredictionFor), one
  // read; null when none did.
  Result<nlohmann::json> PredictionOf(const std::string& workload, const std::string& from);
  // Calls refused by the read-only adapters so far (0: drills only looked).
  long long refused_writes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace icb

namespace icb {

// What a failover is held against: its workload's prediction in the latest
// drill that planned it from `from` (kept in the operation's request as
// `drill` when it starts, so a later drill does not change it); null when
// no drill planned it from there.
nlohmann::json PredictionFor(const Drill& d, const std::string& workload, const std::string& from);

// A finished step's timeline as a failover ran it, in parts that add up
// like the drill's: detection (first failed probe -> detected_at),
// capacity (-> ensure_capacity ended), data (-> sync_data ended), dns
// (-> switch_dns ended, plus the record's TTL, as clients' caches hold the
// old answer that long), verify (-> verify ended); each null until its
// step ended. `first_failure`: the earliest failing probe of the
// detection (its `detected` event); without it (a failover asked for)
// detection is 0 and the timeline starts when the operation was created.
// {predicted, achieved: {parts..., rto_s, rpo_s}, error: {part: achieved -
// predicted}} with the prediction from the request's `drill` (null: none).
nlohmann::json PredictedAgainstAchieved(const Operation& op, std::optional<TimePoint> first_failure);

// The earliest failing sample an outage's `detected` event lists
// (inputs.vantages.*.samples, those not ok); nullopt when none does.
std::optional<TimePoint> FirstFailure(const AuditEvent& detected);

}  // namespace icb
