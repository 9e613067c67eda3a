#include "broker/orchestrator/kinds/data_steps.h"

#include "broker/orchestrator/state/replica.h"

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

std::string TargetKey(const CopySet& set, const std::string& key) { return set.target_prefix + key.substr(set.source_prefix.size()); }

}  // namespace

std::vector<CopySet> DataSteps::SetsOf(const Operation& op) {
  std::vector<CopySet> out;
  for (const auto& s : op.request.value("sets", json::array())) out.push_back({s.value("source_prefix", ""), s.value("target_prefix", "")});
  return out;
}

void DataSteps::Release(const std::string& operation) {
  mover_.Stop(operation);
  std::lock_guard lock(mu_);
  rounds_.erase(operation);
}

StepOutcome DataSteps::CopyFromSource(const Operation& op, const Workload& w, const std::function<StepOutcome()>& replica_only) {
  if (!op.fence) return replica_only();
  std::vector<CopySet> sets;
  json data_sets = json::array();
  for (const auto& d : w.data) {
    sets.push_back({d.prefix, d.prefix});
    data_sets.push_back({{"name", d.name}, {"prefix", d.prefix}});
  }
  Manifest manifest(d_.store, op.id);
  auto head = d_.store.GetVersioned(manifest.HeadKey());
  if (!head.ok()) return Transient(op, "sync_data", head.status(), 3);
  if (!*head && !mover_.Poll(op.id)) {
    auto objects = ListSource(op.source, sets);
    if (!objects.ok()) {
      StepOutcome out = replica_only();
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
  if (w.rpo_s) {
    detail["rpo_s"] = *w.rpo_s;
    detail["rpo_met"] = true;
  }
  return StepOutcome::Done(std::move(detail));
}

StepOutcome DataSteps::Transient(const Operation& op, const std::string& step, const Status& s, int attempts) {
  return TransientStep(d_, op, step, s, StepOutcome::Fail(s.message()), attempts);
}

Result<std::vector<ManifestObject>> DataSteps::ListSource(const std::string& source, const std::vector<CopySet>& sets) {
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

Result<size_t> DataSteps::CarryOver(std::vector<ManifestObject>& objects, const std::string& previous_id) {
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

StepOutcome DataSteps::Inventory(const Operation& op) {
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

StepOutcome DataSteps::Copy(const Operation& op, const std::string& step, const std::vector<CopySet>& sets) {
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

StepOutcome DataSteps::Confirm(const Operation& op) {
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
  out.along.events.push_back(MakeEvent(op.id + "/verified/" + std::to_string(op.Step("confirm") ? op.Step("confirm")->attempts : 0),
                                       "verified", d_.clock.Now(), {op.workload, op.id, op.target},
                                       std::to_string(verified) + " objects (" + std::to_string(bytes) + " bytes) verified by SHA-256 at " +
                                           op.target + ", " + std::to_string(mismatches) + " mismatches copied again",
                                       detail));
  return out;
}

}  // namespace icb
