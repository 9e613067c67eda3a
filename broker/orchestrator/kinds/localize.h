// Latency-aware placement's operation kinds (docs/architecture.md, "Wire
// names"): one audience of a workload (op.request.audience) served from a
// provider near it, and brought back.
//
//   localize    choose_target -> ensure_capacity -> sync_data -> switch_dns -> verify
//               (the provider nearest the audience: among the candidates
//               with room whose latency measured from the audience's
//               vantage meets its objective, the profile's best-ranked;
//               when none meets it, the lowest p95 below the placement's.
//               The service brought there, the workload's data copied from
//               the placement and verified, the audience's networks
//               answered that provider's address (a DNS view), then probed
//               from the audience's vantage)
//   delocalize  switch_dns -> release_capacity
//               (the audience's view dropped: it gets the placement's
//               answer again; the provider scaled back to what it ran
//               before, unless it serves another audience or the
//               placement)
//
// Every provider call is idempotent or checks first, keyed by the
// operation and step. Where an audience is served is in the workload's
// status (audience_placements), written when the operation ends; the
// audience record (state/audiences.h) keeps a failed localize's borrowed
// capacity for a delocalize to give back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/data_steps.h"
#include "broker/orchestrator/kinds/steps.h"

namespace icb {

inline const std::vector<std::string> kLocalizeSteps = {"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify"};
inline const std::vector<std::string> kDelocalizeSteps = {"switch_dns", "release_capacity"};

class LocalizeSteps {
 public:
  // `data`: copies the workload's data from the placement; null: only a
  // verified replica at the target makes it present.
  LocalizeSteps(const WorkloadKindDeps& deps, DataSteps* data, const AudienceLatencies& latencies) : d_(deps), data_(data), latencies_(latencies) {}

  StepOutcome Run(const std::string& step, const Operation& op);
  // The status's audience placement written or dropped, the operation's
  // claim released; a failure waits a window before the next try.
  Result<Along> Finish(const Operation& op);

 private:
  StepOutcome ChooseTarget(const Operation& op, const Workload& w, const Workload::Audience& a);
  StepOutcome SyncData(const Operation& op, const Workload& w);
  // switch_dns: the audience's view to op.target (localize) or dropped (delocalize).
  StepOutcome SwitchDns(const Operation& op, const Workload& w, const std::string& audience);
  StepOutcome ReleaseCapacity(const Operation& op, const Workload& w, const std::string& audience);

  WorkloadKindDeps d_;
  DataSteps* data_;
  const AudienceLatencies& latencies_;
};

// The kinds, for the orchestrator to register (it owns `steps`).
OperationKind LocalizeKind(LocalizeSteps& steps);
OperationKind DelocalizeKind(LocalizeSteps& steps);

}  // namespace icb
