#include "broker/orchestrator/migration_kind.h"

#include "broker/orchestrator/replication.h"
#include "broker/orchestrator/retention.h"

#include <map>
#include <mutex>
#include <optional>

namespace icb {

using nlohmann::json;

namespace {

// Objects one manifest may hold: its records are read whole on resume.
constexpr size_t kMaxManifestObjects = 200'000;
// Times the copy step starts its job again after a provider or store error.
constexpr int kCopyAttempts = 10;
// Listings after the copy that may still find new or changed objects.
constexpr int kMaxRounds = 5;
constexpr Millis kPollEvery{250};

std::vector<CopySet> SetsOf(const Operation& op) {
  std::vector<CopySet> out;
  for (const auto& s : op.request.value("sets", json::array())) out.push_back({s.value("source_prefix", ""), s.value("target_prefix", "")});
  return out;
}

std::string TargetKey(const CopySet& set, const std::string& key) { return set.target_prefix + key.substr(set.source_prefix.size()); }

class MigrationSteps {
 public:
  // `failover`: the failover kind as registered before (its steps run a
  // workload's cutover; its sync_data is taken over by SyncData).
  MigrationSteps(const WorkloadKindDeps& deps, DataMover& mover, std::optional<OperationKind> failover)
      : d_(deps), mover_(mover), failover_(std::move(failover)) {}

  StepOutcome Run(const std::string& step, const Operation& op) {
    if (step == "inventory") return Inventory(op);
    if (step == "copy") return Copy(op, "copy", SetsOf(op));
    if (step == "confirm") return Confirm(op);
    if (failover_ && !op.workload.empty() && op.kind == "migration") return failover_->run(step, op);
    return StepOutcome::Fail("no step " + step);
  }

  StepOutcome RunFailover(const std::string& step, const Operation& op) {
    if (step == "sync_data") return SyncData(op);
    return failover_->run(step, op);
  }

  Result<Along> Finish(const Operation& op) {
    mover_.Stop(op.id);
    {
      std::lock_guard lock(mu_);
      rounds_.erase(op.id);
    }
    if (op.kind == "replication") return FinishReplication(op);
    if (failover_ && failover_->finish && !op.workload.empty()) {
      ICB_ASSIGN_OR_RETURN(Along along, failover_->finish(op));
      if (op.kind == "migration" && op.state == OperationState::kSucceeded) {
        // The source's copy of the data sets is retained (retention.h).
        RetainedSource r;
        r.operation = op.id;
        r.workload = op.workload;
        r.provider = op.source;
        for (const auto& set : SetsOf(op)) r.prefixes.push_back(set.source_prefix);
        if (op.request.contains("retention_s"))
          r.delete_after = d_.clock.Now() + std::chrono::duration_cast<Millis>(std::chrono::duration<double>(op.request["retention_s"].get<double>()));
        if (!r.prefixes.empty()) along.writes.push_back(RetainedWrite(r));
      }
      return along;
    }
    return Along{};
  }

  // A failover's sync_data. When the source still answers (a failover
  // someone asked for, not one a detected outage started), the data sets
  // are copied and verified from it first, incremental from the replica at
  // the target when there is one: the workload arrives with all of its
  // data (RPO achieved 0). When the source does not answer, the replica's
  // moment is what there is (the failover kind's own sync_data reports it).
  StepOutcome SyncData(const Operation& op) {
    auto w = LoadWorkload(d_.catalog, op.workload);
    if (!w.ok() || w->data.empty() || op.request.value("trigger", "") == "automatic" || !op.fence) return failover_->run("sync_data", op);
    std::vector<CopySet> sets;
    json data_sets = json::array();
    for (const auto& d : w->data) {
      sets.push_back({d.prefix, d.prefix});
      data_sets.push_back({{"name", d.name}, {"prefix", d.prefix}});
    }
    Manifest manifest(d_.store, op.id);
    auto head = d_.store.GetVersioned(manifest.HeadKey());
    if (!head.ok()) return Transient(op, "sync_data", head.status(), 3);
    json listed;
    if (!*head && !mover_.Poll(op.id)) {
      auto objects = ListSource(op.source, sets);
      if (!objects.ok()) {
        StepOutcome out = failover_->run("sync_data", op);
        out.detail["source"] = "does not answer: " + objects.status().message();
        return out;
      }
      auto to = d_.adapters.Objects(op.target);
      if (!to.ok()) return StepOutcome::Fail(to.status().message());
      Status made = (*to)->EnsureContainer();
      if (!made.ok()) return Transient(op, "sync_data", made, 3);
      auto replica = GetReplica(d_.store, op.workload);
      if (!replica.ok()) return Transient(op, "sync_data", replica.status(), 3);
      if (*replica && (*replica)->provider == op.target && !(*replica)->operation.empty()) {
        auto carried = CarryOver(*objects, (*replica)->operation);
        if (!carried.ok()) return Transient(op, "sync_data", carried.status(), 3);
      }
      Status written = manifest.Replace(*objects, *op.fence);
      if (!written.ok()) return Transient(op, "sync_data", written, 3);
    }
    StepOutcome copied = Copy(op, "sync_data", sets);
    if (copied.kind != StepOutcome::Kind::kDone) return copied;
    json detail = {{"data_sets", std::move(data_sets)}, {"copied", true}, {"source", "answers"}, {"delta", std::move(copied.detail)},
                   {"rpo_achieved_s", 0}};
    if (w->rpo_s) {
      detail["rpo_s"] = *w->rpo_s;
      detail["rpo_met"] = true;
    }
    return StepOutcome::Done(std::move(detail));
  }

  // The replica record: released, and on success the new verified copy (the
  // moment its inventory listed the source).
  Result<Along> FinishReplication(const Operation& op) {
    Along along;
    ICB_ASSIGN_OR_RETURN(auto found, GetReplica(d_.store, op.workload));
    if (!found || found->running != op.id) return along;
    ReplicaRecord r = *found;
    r.running.clear();
    const StepRecord* inventory = op.Step("inventory");
    if (op.state == OperationState::kSucceeded && inventory && inventory->started_at) {
      r.provider = op.target;
      r.verified_at = inventory->started_at;
      r.operation = op.id;
    }
    along.writes.push_back(ReplicaWrite(op.workload, r));
    return along;
  }

 private:
  StepOutcome Transient(const Operation& op, const std::string& step, const Status& s, int attempts) {
    const StepRecord* rec = op.Step(step);
    if (rec && rec->attempts < attempts) return StepOutcome::Wait(step + ": " + s.message(), d_.wait_recheck);
    return StepOutcome::Fail(s.message());
  }

  // Every object under the sets' source prefixes, as the manifest lists them.
  Result<std::vector<ManifestObject>> ListSource(const std::string& source, const std::vector<CopySet>& sets) {
    ICB_ASSIGN_OR_RETURN(auto from, d_.adapters.Objects(source));
    std::vector<ManifestObject> out;
    for (const auto& set : sets) {
      ICB_ASSIGN_OR_RETURN(auto listed, ListAll(*from, set.source_prefix));
      for (const auto& info : listed) {
        if (out.size() == kMaxManifestObjects)
          return Status(StatusCode::kResourceExhausted, "more than " + std::to_string(kMaxManifestObjects) + " objects to copy; split the migration by prefix");
        ManifestObject o;
        o.key = info.key;
        o.target_key = TargetKey(set, info.key);
        o.size = info.size;
        o.etag = info.etag;
        out.push_back(std::move(o));
      }
    }
    return out;
  }

  // Incremental: what operation `previous` verified and has not changed
  // since (same key, version tag, size and target key) is carried over as
  // verified, not copied again. Returns how many objects were.
  Result<size_t> CarryOver(std::vector<ManifestObject>& objects, const std::string& previous_id) {
    Manifest before(d_.store, previous_id);
    ICB_ASSIGN_OR_RETURN(auto previous, before.Load());
    std::map<std::string, const ManifestObject*> verified;
    for (const auto& o : previous)
      if (o.state == ObjectCopyState::kVerified) verified[o.key] = &o;
    size_t carried = 0;
    for (auto& o : objects) {
      auto it = verified.find(o.key);
      if (it == verified.end() || it->second->etag != o.etag || it->second->size != o.size || it->second->target_key != o.target_key) continue;
      o.state = ObjectCopyState::kVerified;
      o.sha256 = it->second->sha256;
      o.target_sha256 = it->second->target_sha256;
      ++carried;
    }
    return carried;
  }

  StepOutcome Inventory(const Operation& op) {
    if (!op.fence) return StepOutcome::Fail("no lease to write the manifest under");
    auto to = d_.adapters.Objects(op.target);
    if (!to.ok()) return StepOutcome::Fail(to.status().message());
    Status made = (*to)->EnsureContainer();
    if (!made.ok()) return Transient(op, "inventory", made, 3);
    auto objects = ListSource(op.source, SetsOf(op));
    if (objects.status().code() == StatusCode::kResourceExhausted || objects.status().code() == StatusCode::kNotFound) return StepOutcome::Fail(objects.status().message());
    if (!objects.ok()) return Transient(op, "inventory", objects.status(), 3);
    if (op.kind == "replication" && op.request.contains("previous")) {
      auto carried = CarryOver(*objects, op.request["previous"].get<std::string>());
      if (!carried.ok()) return Transient(op, "inventory", carried.status(), 3);
    }
    Manifest manifest(d_.store, op.id);
    Status written = manifest.Replace(*objects, *op.fence);
    if (!written.ok()) return Transient(op, "inventory", written, 3);
    uint64_t bytes = 0, unchanged = 0;
    size_t carried = 0;
    for (const auto& o : *objects) {
      bytes += o.size;
      if (o.state == ObjectCopyState::kVerified) {
        ++carried;
        unchanged += o.size;
      }
    }
    json detail = {{"objects", objects->size()}, {"bytes", bytes}};
    if (op.kind == "replication") detail["unchanged"] = {{"objects", carried}, {"bytes", unchanged}};
    return StepOutcome::Done(detail);
  }

  // `step`: the step this copy runs as (its attempts count its retries);
  // `sets`: what is listed again after the copy.
  StepOutcome Copy(const Operation& op, const std::string& step, const std::vector<CopySet>& sets) {
    if (!op.fence) return StepOutcome::Fail("no lease to write the manifest under");
    Manifest manifest(d_.store, op.id);
    auto state = mover_.Poll(op.id);
    if (!state) {
      auto objects = manifest.Load();
      if (!objects.ok()) return Transient(op, step, objects.status(), kCopyAttempts);
      mover_.Start(MoveSpec{op.id, op.source, op.target, *op.fence}, std::move(*objects));
      return StepOutcome::Running("copying", kPollEvery);
    }
    if (state->running) return StepOutcome::Running("copying", kPollEvery);
    mover_.Stop(op.id);
    if (!state->status.ok()) return Transient(op, step, state->status, kCopyAttempts);
    json detail = {{"objects", state->progress.objects_total}, {"verified", state->verified}, {"vanished", state->vanished},
                   {"failed", state->failed},             {"bytes", state->progress.bytes_total}};
    if (state->failed > 0) {
      detail["first_failed"] = state->first_failed;
      return StepOutcome::Fail(std::to_string(state->failed) + " object(s) did not verify, no cutover; first: " + state->first_failed, detail);
    }
    // Listed again: what came or changed at the source during the copy.
    auto objects = manifest.Load();
    if (!objects.ok()) return Transient(op, step, objects.status(), kCopyAttempts);
    auto now = ListSource(op.source, sets);
    if (!now.ok()) return Transient(op, step, now.status(), kCopyAttempts);
    std::map<std::string, ManifestObject*> by_key;
    for (auto& o : *objects) by_key[o.key] = &o;
    std::vector<ManifestObject> added;
    size_t changed = 0;
    for (auto& seen : *now) {
      auto it = by_key.find(seen.key);
      if (it == by_key.end()) {
        added.push_back(std::move(seen));
        continue;
      }
      ManifestObject& o = *it->second;
      if (o.state == ObjectCopyState::kVerified && (o.etag != seen.etag || o.size != seen.size)) {
        o.state = ObjectCopyState::kPending;
        o.etag = seen.etag;
        o.size = seen.size;
        ++o.changes;
        Status w = manifest.Write(o, *op.fence);
        if (!w.ok()) return Transient(op, step, w, kCopyAttempts);
        ++changed;
      }
    }
    if (!added.empty()) {
      Status w = manifest.Append(added, objects->size(), *op.fence);
      if (!w.ok()) return Transient(op, step, w, kCopyAttempts);
    }
    int round = 0;
    {
      std::lock_guard lock(mu_);
      round = ++rounds_[op.id];
    }
    if (!added.empty() || changed > 0) {
      if (round >= kMaxRounds)
        return StepOutcome::Fail("the source kept changing: " + std::to_string(added.size() + changed) + " new or changed objects after " +
                                     std::to_string(round) + " listings", detail);
      auto reloaded = manifest.Load();
      if (!reloaded.ok()) return Transient(op, step, reloaded.status(), kCopyAttempts);
      mover_.Start(MoveSpec{op.id, op.source, op.target, *op.fence}, std::move(*reloaded));
      return StepOutcome::Running("copying " + std::to_string(added.size() + changed) + " new or changed objects", kPollEvery);
    }
    detail["listings"] = round;
    detail["bytes_written"] = state->progress.bytes_written;
    return StepOutcome::Done(detail);
  }

  StepOutcome Confirm(const Operation& op) {
    Manifest manifest(d_.store, op.id);
    auto objects = manifest.Load();
    if (!objects.ok()) return Transient(op, "confirm", objects.status(), 3);
    auto to = d_.adapters.Objects(op.target);
    if (!to.ok()) return StepOutcome::Fail(to.status().message());
    std::map<std::string, uint64_t> there;
    for (const auto& set : SetsOf(op)) {
      auto listed = ListAll(**to, set.target_prefix);
      if (!listed.ok()) return Transient(op, "confirm", listed.status(), 3);
      for (const auto& info : *listed) there[info.key] = info.size;
    }
    size_t verified = 0, vanished = 0, mismatches = 0;
    uint64_t bytes = 0;
    std::vector<std::string> missing;
    for (auto& o : *objects) {
      mismatches += static_cast<size_t>(o.tries);
      if (o.state == ObjectCopyState::kVanished) {
        ++vanished;
        continue;
      }
      auto it = there.find(o.target_key);
      if (o.state != ObjectCopyState::kVerified || it == there.end() || it->second != o.size) {
        missing.push_back(o.target_key);
        if (o.state == ObjectCopyState::kVerified && op.fence) {
          o.state = ObjectCopyState::kPending;  // gone at the target since: copy it again
          (void)manifest.Write(o, *op.fence);
        }
        continue;
      }
      ++verified;
      bytes += o.size;
    }
    json detail = {{"objects", verified}, {"bytes", bytes}, {"vanished", vanished}, {"sha256_mismatches", mismatches}};
    if (!missing.empty()) {
      detail["missing"] = json(std::vector<std::string>(missing.begin(), missing.begin() + static_cast<long>(std::min<size_t>(missing.size(), 20))));
      const StepRecord* rec = op.Step("confirm");
      if (rec && rec->attempts < 3) return StepOutcome::Retry(std::to_string(missing.size()) + " object(s) not at the target as verified", "copy", detail);
      return StepOutcome::Fail(std::to_string(missing.size()) + " object(s) not at the target as verified; first: " + missing.front(), detail);
    }
    StepOutcome out = StepOutcome::Done(detail);
    AuditEvent e;
    e.id = op.id + "/verified/" + std::to_string(op.Step("confirm") ? op.Step("confirm")->attempts : 0);
    e.at = d_.clock.Now();
    e.kind = "verified";
    e.workload = op.workload;
    e.operation = op.id;
    e.provider = op.target;
    e.summary = std::to_string(verified) + " objects (" + std::to_string(bytes) + " bytes) verified by SHA-256 at " + op.target + ", " +
                std::to_string(mismatches) + " mismatches copied again";
    e.inputs = detail;
    out.along.events.push_back(std::move(e));
    return out;
  }

  WorkloadKindDeps d_;
  DataMover& mover_;
  std::optional<OperationKind> failover_;
  std::mutex mu_;
  std::map<std::string, int> rounds_;  // operation -> listings after a copy, this process
};

}  // namespace

void RegisterMigrationKind(OperationKinds& kinds, const WorkloadKindDeps& deps, DataMover& mover) {
  const OperationKind* registered = kinds.Find("failover");
  std::optional<OperationKind> failover;
  if (registered) failover = *registered;
  auto steps = std::make_shared<MigrationSteps>(deps, mover, failover);
  if (failover) {
    // The failover's sync_data copies the delta when the source answers.
    kinds.Register("failover", {failover->steps, [steps](const std::string& step, const Operation& op) { return steps->RunFailover(step, op); },
                                [steps](const Operation& op) { return steps->Finish(op); }});
  }
  std::vector<std::string> all = kMigrationDataSteps;
  all.insert(all.end(), kMigrationCutoverSteps.begin(), kMigrationCutoverSteps.end());
  auto run = [steps](const std::string& step, const Operation& op) { return steps->Run(step, op); };
  auto finish = [steps](const Operation& op) { return steps->Finish(op); };
  kinds.Register("migration", {all, run, finish});
  kinds.Register("replication", {kMigrationDataSteps, run, finish});
}

Result<std::optional<MigrationProgress>> GetMigrationProgress(Store& store, const std::string& operation) {
  Manifest manifest(store, operation);
  return manifest.GetProgress();
}

}  // namespace icb
