// Continuous readiness: could every workload be recovered right now? A
// standing drill of each provider that runs workloads, down alone, on the
// scheduler (read-only, as every drill), and a verdict per workload: ready
// when it would be placed within its rto_s and rpo_s; else the reasons
// (unplaced and why, the predicted RTO or RPO over its objective, no
// verified replica at its target). The leader keeps the verdicts
// (icb:readiness, fenced) and raises a `readiness` event for each workload
// whose verdict changed; GET /v1/readiness lists them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/metrics.h"
#include "broker/orchestrator/drills/drill.h"
#include "broker/orchestrator/engine/runner.h"

namespace icb {

struct WorkloadReadiness {
  std::string workload, provider;  // provider: where it runs (the standing drill's)
  bool ready = true;
  std::vector<std::string> reasons;
  std::optional<double> predicted_rto_s, predicted_rpo_s;
  std::optional<std::string> target;
};

struct ReadinessReport {
  TimePoint at{};
  std::vector<WorkloadReadiness> workloads;  // by provider, then the order a recovery takes them
};

// {at, workloads: [{workload, provider, ready, reasons, predicted_rto_s,
// predicted_rpo_s, target}]} with the workloads `scope` sees.
nlohmann::json ReadinessToJson(const ReadinessReport& r, const Scope& scope);

// The verdict of one workload of a drill.
WorkloadReadiness VerdictOf(const DrillWorkload& w);

struct ReadinessGauges {
  Gauge* unready = nullptr;  // icbroker_readiness_unready_workloads
};

class Readiness {
 public:
  Readiness(Drills& drills, OperationRunner& runner, Store& store, const Clock& clock, ReadinessGauges gauges)
      : drills_(drills), runner_(runner), store_(store), clock_(clock), gauges_(gauges) {}

  // One pass, on the leader only (0 elsewhere): the workloads not ready.
  Result<size_t> Pass();
  // The verdicts of the last pass; nullopt before the first.
  Result<std::optional<ReadinessReport>> Read();

 private:
  Drills& drills_;
  OperationRunner& runner_;
  Store& store_;
  const Clock& clock_;
  ReadinessGauges gauges_;
};

}  // namespace icb
