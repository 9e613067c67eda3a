// The data steps: what a migration and a replication run (inventory ->
// copy -> confirm, migration.h), and the delta copy of a failover whose
// source still answers (its sync_data, place_failover.h). Objects are copied
// by the data mover's workers, SHA-256 verified on both sides
// (data/verified_copy.h), each recorded in the operation's manifest
// (data/manifest.h) under the runner's fence, so a broker killed anywhere
// resumes from what the manifest says.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "broker/orchestrator/data/data_mover.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/kinds/steps.h"

namespace icb {

class DataSteps {
 public:
  DataSteps(const WorkloadKindDeps& deps, DataMover& mover) : d_(deps), mover_(mover) {}

  // The copy sets a migration or replication was asked for.
  static std::vector<CopySet> SetsOf(const Operation& op);

  // inventory: lists the source and writes the manifest (per object: size,
  // version tag; the target's container is made sure of). A replication
  // with a previous one carries over what it verified and has not changed.
  StepOutcome Inventory(const Operation& op);
  // copy (run as `step`): the data mover copies every object not verified
  // yet; when all are done the source is listed again (`sets`) and
  // anything new or changed since goes round once more.
  StepOutcome Copy(const Operation& op, const std::string& step, const std::vector<CopySet>& sets);
  // confirm: every verified object is at the target with its size; a
  // `verified` event records objects, bytes and SHA-256 mismatches.
  StepOutcome Confirm(const Operation& op);
  // A failover's sync_data when its source may answer: the workload's data
  // sets listed at the source, what its replica at the target verified
  // carried over, the rest copied and verified (RPO achieved 0). When the
  // source does not answer, `replica_only` is what there is.
  StepOutcome CopyFromSource(const Operation& op, const Workload& w, const std::function<StepOutcome()>& replica_only);

  // Lets go of what this process holds for an operation that ended: its
  // copy job, its count of listings.
  void Release(const std::string& operation);

 private:
  // Every object under the sets' source prefixes, as the manifest lists them.
  Result<std::vector<ManifestObject>> ListSource(const std::string& source, const std::vector<CopySet>& sets);
  // Incremental: what operation `previous` verified and has not changed
  // since (same key, version tag, size and target key) is carried over as
  // verified, not copied again. Returns how many objects were.
  Result<size_t> CarryOver(std::vector<ManifestObject>& objects, const std::string& previous_id);
  StepOutcome Transient(const Operation& op, const std::string& step, const Status& s, int attempts);

  WorkloadKindDeps d_;
  DataMover& mover_;
  std::mutex mu_;
  std::map<std::string, int> rounds_;  // operation -> listings after a copy, this process
};

}  // namespace icb
