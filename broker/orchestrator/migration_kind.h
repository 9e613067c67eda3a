// The `migration` operation kind: a verified copy of objects between two
// providers' object storage.
//
//   inventory  lists the source and writes the manifest (per object: size,
//              version tag; the target's container is made sure of)
//   copy       the data mover's workers copy every object not verified
//              yet, SHA-256 on both sides (verified_copy.h); when all
//              are done the source is listed again and anything new or
//              changed since goes round once more
//   confirm    the target is listed: every verified object is there with
//              its size; a `verified` event records objects, bytes and
//              SHA-256 mismatches
//
// A workload's planned move (POST /v1/workloads/{id}/migrations {to})
// copies its data sets the same way and then takes the failover's steps
// from ensure_capacity on (the capacity, switch_dns, verify, drain_source;
// the source is drained, not deleted). Cutover never happens unless every
// object verified: copy fails the operation naming an object that did not.
#pragma once

#include <string>
#include <vector>

#include "broker/orchestrator/data_mover.h"
#include "broker/orchestrator/workload_kinds.h"

namespace icb {

inline const std::vector<std::string> kMigrationDataSteps = {"inventory", "copy", "confirm"};
inline const std::vector<std::string> kMigrationCutoverSteps = {"ensure_capacity", "switch_dns", "verify", "drain_source"};

// Registers `migration` and `replication` (the same data steps,
// incremental; replication.h); the workload steps are the registered failover
// kind's (RegisterWorkloadKinds first).
void RegisterMigrationKind(OperationKinds& kinds, const WorkloadKindDeps& deps, DataMover& mover);

// The progress of a migration's copy, as its data mover last recorded it.
Result<std::optional<MigrationProgress>> GetMigrationProgress(Store& store, const std::string& operation);

}  // namespace icb
