#include "broker/orchestrator/engine/operation.h"

#include <algorithm>

#include "broker/core/time.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr std::string_view kOperationStates[] = {"pending", "running", "waiting", "succeeded", "failed", "cancelled"};
constexpr std::string_view kStepStates[] = {"pending", "running", "succeeded", "failed"};

const std::string kAllKey = "icb:operations";  // a set, before the sorted index: read once by IndexStored
const std::string kIdsKey = "icb:operations:ids";
const std::string kIndexedKey = "icb:operations:indexed";
const std::string kUnfinishedKey = "icb:operations:unfinished";
std::string RecordKey(std::string_view id) { return "icb:operation:" + std::string(id); }
std::string WorkloadKey(std::string_view w) { return "icb:operations:workload:" + std::string(w); }
std::string IdempotencyKey(std::string_view k) { return "icb:operations:key:" + std::string(k); }
// The sorted index that lists an operation: its space's (tenant_space.h);
// the default tenant's is the one kept before tenants, where older
// operations are.
std::string IdsKeyOf(const TenantSpace& space) { return space.IndexKey(kIdsKey); }

// The workloads an operation concerns, for the per-workload index.
std::vector<std::string> Concerned(const Operation& op) {
  std::vector<std::string> out = op.workloads;
  if (!op.workload.empty()) out.push_back(op.workload);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> Sorted(Result<std::vector<std::string>> members) {
  if (!members.ok()) return members.status();
  std::sort(members->begin(), members->end());
  return members;
}

}  // namespace

std::string_view OperationStateName(OperationState s) { return kOperationStates[static_cast<int>(s)]; }

std::optional<OperationState> OperationStateFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kOperationStates); ++i)
    if (kOperationStates[i] == name) return static_cast<OperationState>(i);
  return std::nullopt;
}

std::string_view StepStateName(StepState s) { return kStepStates[static_cast<int>(s)]; }

json OperationToJson(const Operation& op) {
  json steps = json::array();
  for (const auto& s : op.steps) {
    steps.push_back({{"name", s.name},
                     {"state", StepStateName(s.state)},
                     {"started_at", OptionalTimeJson(s.started_at)},
                     {"ended_at", OptionalTimeJson(s.ended_at)},
                     {"attempts", s.attempts},
                     {"detail", s.detail}});
  }
  json doc = {{"id", op.id},
              {"kind", op.kind},
              {"state", OperationStateName(op.state)},
              {"reason", op.reason},
              {"steps", std::move(steps)},
              {"created_at", FormatRfc3339(op.created_at)},
              {"updated_at", FormatRfc3339(op.updated_at)}};
  if (!op.workload.empty()) doc["workload"] = op.workload;
  if (!op.workloads.empty()) doc["workloads"] = op.workloads;
  if (!op.source.empty()) doc["source"] = {{"provider", op.source}};
  if (!op.target.empty()) doc["target"] = {{"provider", op.target}};
  if (!op.idempotency_key.empty()) doc["idempotency_key"] = op.idempotency_key;
  if (!op.request.empty()) doc["request"] = op.request;
  if (!op.actor.empty()) doc["actor"] = op.actor;
  if (op.cancel_requested) doc["cancel_requested"] = true;
  return doc;
}

Result<Operation> OperationFromJson(const json& doc) {
  // Our own records: a malformed one is corruption, not a client's mistake.
  try {
    Operation op;
    op.id = doc.at("id").get<std::string>();
    op.kind = doc.at("kind").get<std::string>();
    op.workload = doc.value("workload", "");
    if (doc.contains("workloads")) op.workloads = doc["workloads"].get<std::vector<std::string>>();
    auto state = OperationStateFromName(doc.at("state").get<std::string>());
    if (!state) return Internal("operation " + op.id + ": unknown state");
    op.state = *state;
    op.reason = doc.value("reason", "");
    if (doc.contains("source")) op.source = doc["source"].at("provider").get<std::string>();
    if (doc.contains("target")) op.target = doc["target"].at("provider").get<std::string>();
    for (const auto& s : doc.at("steps")) {
      StepRecord step;
      step.name = s.at("name").get<std::string>();
      const std::string st = s.at("state").get<std::string>();
      auto it = std::find(std::begin(kStepStates), std::end(kStepStates), st);
      if (it == std::end(kStepStates)) return Internal("operation " + op.id + ": unknown step state");
      step.state = static_cast<StepState>(it - std::begin(kStepStates));
      step.started_at = OptionalTimeFrom(s, "started_at");
      step.ended_at = OptionalTimeFrom(s, "ended_at");
      step.attempts = s.value("attempts", 0);
      step.detail = s.value("detail", json::object());
      op.steps.push_back(std::move(step));
    }
    auto created = ParseRfc3339(doc.at("created_at").get<std::string>());
    auto updated = ParseRfc3339(doc.at("updated_at").get<std::string>());
    if (!created || !updated) return Internal("operation " + op.id + ": bad time");
    op.created_at = *created;
    op.updated_at = *updated;
    op.idempotency_key = doc.value("idempotency_key", "");
    op.cancel_requested = doc.value("cancel_requested", false);
    op.request = doc.value("request", json::object());
    op.actor = doc.value("actor", "");
    return op;
  } catch (const json::exception& e) {
    return Internal(std::string("stored operation is corrupt: ") + e.what());
  }
}

Status NoOperation(std::string_view id) { return NotFound("no operation " + std::string(id)); }

Status OperationStore::Create(Operation& op, const Fence* fence, const Along& along) {
  CasWrite w{RecordKey(op.id), 0, OperationToJson(op).dump(), {}, {}};
  w.index_add.emplace_back(IdsKeyOf(TenantSpace::Of(op.id)), op.id);
  if (!Finished(op.state)) w.set_add.emplace_back(kUnfinishedKey, op.id);
  for (const auto& workload : Concerned(op)) w.set_add.emplace_back(WorkloadKey(workload), op.id);
  std::vector<CasWrite> writes = {std::move(w)};
  if (!op.idempotency_key.empty()) writes.push_back({IdempotencyKey(op.idempotency_key), 0, op.id, {}, {}});
  return Write(op, std::move(writes), fence, along);
}

Status OperationStore::Update(Operation& op, const Fence* fence, const Along& along) {
  CasWrite w{RecordKey(op.id), op.version, OperationToJson(op).dump(), {}, {}};
  if (Finished(op.state)) w.set_remove.emplace_back(kUnfinishedKey, op.id);
  else w.set_add.emplace_back(kUnfinishedKey, op.id);
  for (const auto& workload : Concerned(op)) w.set_add.emplace_back(WorkloadKey(workload), op.id);
  return Write(op, {std::move(w)}, fence, along);
}

Status OperationStore::Write(Operation& op, std::vector<CasWrite> writes, const Fence* fence, const Along& along) {
  writes.insert(writes.end(), along.writes.begin(), along.writes.end());
  std::vector<AppendGroup> appends;
  if (!along.events.empty()) {
    // Every event of an operation names who started it.
    std::vector<AuditEvent> events = along.events;
    for (auto& e : events)
      if (e.actor.empty()) e.actor = op.actor;
    appends.push_back(AuditAppend(events));
  }
  ICB_ASSIGN_OR_RETURN(auto versions, store_.CompareAndSetAll(writes, appends, fence));
  op.version = versions.front();  // the operation's record is always the first write
  return Status::Ok();
}

namespace {
const RecordCodec<Operation> kOperationRecord{"operation", RecordKey, OperationToJson, OperationFromJson};
}  // namespace

Result<std::optional<Operation>> OperationStore::Get(std::string_view id) { return GetRecord(store_, kOperationRecord, id); }

Result<std::vector<std::optional<Operation>>> OperationStore::GetMany(const std::vector<std::string>& ids) {
  return GetRecords(store_, kOperationRecord, ids);
}

Result<std::optional<std::string>> OperationStore::FindByKey(std::string_view key) {
  ICB_ASSIGN_OR_RETURN(auto record, store_.GetVersioned(IdempotencyKey(key)));
  if (!record) return std::optional<std::string>();
  return std::optional<std::string>(record->value);
}

Result<IdPage> OperationStore::Page(const Scope& scope, std::string_view after, size_t limit) {
  // The broker's ids start with '~', after every tenant's: its index
  // follows the caller's own.
  const bool in_broker = !after.empty() && TenantSpace::Of(after).is_broker();
  std::vector<std::string> ids;
  if (!in_broker) {
    ICB_ASSIGN_OR_RETURN(ids, store_.IndexRange(IdsKeyOf(scope.own()), after, limit + 1));
  }
  if (ids.size() < limit + 1 && scope.sees_broker() && !scope.own().is_broker()) {
    ICB_ASSIGN_OR_RETURN(auto more, store_.IndexRange(IdsKeyOf(TenantSpace::Broker()), in_broker ? after : "", limit + 1 - ids.size()));
    ids.insert(ids.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return PageOfOneMore(std::move(ids), limit);
}

Status OperationStore::IndexStored() {
  ICB_ASSIGN_OR_RETURN(long long indexed, store_.GetCounter(kIndexedKey));
  if (indexed > 0) return Status::Ok();
  ICB_ASSIGN_OR_RETURN(auto ids, store_.SetMembers(kAllKey));
  WriteBatch batch;
  for (auto& id : ids) batch.IndexAdd(kIdsKey, std::move(id));
  batch.Delete(kAllKey).Incr(kIndexedKey);
  return store_.Apply(batch).status();
}
Result<std::vector<std::string>> OperationStore::Unfinished() { return Sorted(store_.SetMembers(kUnfinishedKey)); }
Result<std::vector<std::string>> OperationStore::OfWorkload(std::string_view workload) { return Sorted(store_.SetMembers(WorkloadKey(workload))); }

}  // namespace icb
