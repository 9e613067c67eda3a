// Operations (docs/architecture.md, "Wire names"): every action the broker
// takes is one, recorded as a versioned record so that two writers cannot
// both win, and fenced by the runner's lease epoch so that a runner that
// lost its lease cannot write at all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/tenant_space.h"
#include "broker/core/clock.h"
#include "broker/core/paging.h"
#include "broker/core/status.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/engine/stored_record.h"
#include "broker/store/store.h"

namespace icb {

enum class OperationState { kPending, kRunning, kWaiting, kSucceeded, kFailed, kCancelled };
std::string_view OperationStateName(OperationState s);
std::optional<OperationState> OperationStateFromName(std::string_view name);
inline bool Finished(OperationState s) {
  return s == OperationState::kSucceeded || s == OperationState::kFailed || s == OperationState::kCancelled;
}

enum class StepState { kPending, kRunning, kSucceeded, kFailed };
std::string_view StepStateName(StepState s);

struct StepRecord {
  std::string name;
  StepState state = StepState::kPending;
  std::optional<TimePoint> started_at, ended_at;
  int attempts = 0;
  nlohmann::json detail = nlohmann::json::object();
};

struct Operation {
  std::string id;
  std::string kind;                    // place, failover, recovery, ...
  std::string workload;                // or `workloads` for recovery
  std::vector<std::string> workloads;
  OperationState state = OperationState::kPending;
  std::string reason;
  std::string source, target;          // provider ids, when known
  std::vector<StepRecord> steps;
  TimePoint created_at{}, updated_at{};
  std::string idempotency_key;
  // What started it: {"trigger": "manual" | "automatic" | "declared", "to": ...}.
  nlohmann::json request = nlohmann::json::object();
  bool cancel_requested = false;       // honoured between steps
  std::string actor;                   // who started it (AuditEvent::actor); its events carry it
  long long version = 0;               // of its stored record; 0 before it is stored
  // Not stored: the fence the runner holds while it runs a step, for the
  // writes a step leaves to others (the data mover's manifest records).
  std::optional<Fence> fence;

  StepRecord* Step(std::string_view name) {
    for (auto& s : steps)
      if (s.name == name) return &s;
    return nullptr;
  }
  const StepRecord* Step(std::string_view name) const { return const_cast<Operation*>(this)->Step(name); }
};

// What is written with an operation record, in the same atomic write: the
// records it changes (a workload's status) and its audit events.
struct Along {
  std::vector<CasWrite> writes;
  std::vector<AuditEvent> events;
};

nlohmann::json OperationToJson(const Operation& op);
// The answer for an operation id nothing is stored under (404): also the
// API's for an id in another tenant's form, so both read the same.
Status NoOperation(std::string_view id);
Result<Operation> OperationFromJson(const nlohmann::json& doc);

// Operations in the store: a record per operation and the indexes that list
// them (all; unfinished; per workload), changed in the same atomic write.
class OperationStore {
 public:
  explicit OperationStore(Store& store) : store_(store) {}

  // Stores a new operation (its id must be unused; so must its
  // idempotency key, if any: Aborted otherwise); sets op.version.
  Status Create(Operation& op, const Fence* fence, const Along& along = {});
  // Writes `op` over the version it was read at; Aborted when another write
  // came first, FailedPrecondition when the fence's epoch is stale. Sets
  // op.version on success.
  Status Update(Operation& op, const Fence* fence, const Along& along = {});
  Result<std::optional<Operation>> Get(std::string_view id);
  // Many in one round trip, in the order of `ids`; nullopt for absent ones.
  Result<std::vector<std::optional<Operation>>> GetMany(const std::vector<std::string>& ids);
  // The operation an idempotency key started, if any.
  Result<std::optional<std::string>> FindByKey(std::string_view idempotency_key);
  // Up to `limit` ids of operations `scope` sees after `after` ("": from
  // the first), in id order, from sorted indexes (one per space): a page
  // reads only its ids.
  Result<IdPage> Page(const Scope& scope, std::string_view after, size_t limit);
  // Lists operations a store holds from before the sorted index in it
  // (once per store; later operations are indexed as they are created).
  Status IndexStored();
  // Ids, in id order: the unfinished ones, one workload's.
  Result<std::vector<std::string>> Unfinished();
  Result<std::vector<std::string>> OfWorkload(std::string_view workload);

 private:
  // `writes` (the operation's record first) with `along`, in one write.
  Status Write(Operation& op, std::vector<CasWrite> writes, const Fence* fence, const Along& along);

  Store& store_;
};

}  // namespace icb
