// The data kinds (docs/architecture.md, "Wire names"):
//
//   migration    inventory -> copy -> confirm
//                a verified copy of objects between two providers' object
//                storage (data_steps.h says what each step does); a
//                workload's planned move (POST /v1/workloads/{id}/migrations
//                {to}) copies its data sets so and then takes the failover's
//                steps from ensure_capacity on (-> ensure_capacity ->
//                switch_dns -> verify -> drain_source; the source is
//                drained, and its copy retained: state/retained.h). Cutover
//                never happens unless every object verified: copy fails the
//                operation naming an object that did not.
//   replication  inventory -> copy -> confirm, incremental from the
//                previous replication (triggers/replicator.h starts them);
//                its end updates the workload's replica record.
#pragma once

#include <string>
#include <vector>

#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/kinds/data_steps.h"
#include "broker/orchestrator/kinds/place_failover.h"

namespace icb {

inline const std::vector<std::string> kMigrationDataSteps = {"inventory", "copy", "confirm"};
inline const std::vector<std::string> kMigrationCutoverSteps = {"ensure_capacity", "switch_dns", "verify", "drain_source"};

// The kinds, for the orchestrator to register (it owns the steps).
OperationKind MigrationKind(const WorkloadKindDeps& deps, DataSteps& data, WorkloadSteps& cutover);
OperationKind ReplicationKind(const WorkloadKindDeps& deps, DataSteps& data);

}  // namespace icb
