#include "broker/orchestrator/data/manifest.h"

#include <algorithm>
#include <cmath>

#include "broker/core/time.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

namespace {

// Records per store write or read: large listings go in several.
constexpr size_t kBatch = 500;

constexpr std::pair<ObjectCopyState, const char*> kStateNames[] = {
    {ObjectCopyState::kPending, "pending"},   {ObjectCopyState::kCopying, "copying"}, {ObjectCopyState::kVerified, "verified"},
    {ObjectCopyState::kFailed, "failed"},     {ObjectCopyState::kVanished, "vanished"}};

}  // namespace

std::string_view ObjectCopyStateName(ObjectCopyState s) {
  for (const auto& [state, name] : kStateNames)
    if (state == s) return name;
  return "pending";
}

json ManifestObjectToJson(const ManifestObject& o) {
  json j = {{"index", o.index}, {"key", o.key},         {"target_key", o.target_key}, {"size", o.size},     {"etag", o.etag},
            {"state", std::string(ObjectCopyStateName(o.state))}, {"tries", o.tries}, {"attempts", o.attempts}, {"resumed_parts", o.resumed_parts}, {"changes", o.changes}, {"sha256", o.sha256},
            {"target_sha256", o.target_sha256}, {"error", o.error}};
  if (!o.upload.empty()) j["upload"] = {{"id", o.upload}, {"part_size", o.part_size}, {"parts", o.parts}, {"hash_state", o.hash_state}};
  return j;
}

Result<ManifestObject> ManifestObjectFromJson(const json& j) {
  try {
    ManifestObject o;
    o.index = j.at("index").get<size_t>();
    o.key = j.at("key").get<std::string>();
    o.target_key = j.at("target_key").get<std::string>();
    o.size = j.at("size").get<uint64_t>();
    o.etag = j.value("etag", "");
    const std::string state = j.value("state", "pending");
    for (const auto& [s, name] : kStateNames)
      if (state == name) o.state = s;
    o.tries = j.value("tries", 0);
    o.changes = j.value("changes", 0);
    o.attempts = j.value("attempts", 0);
    o.resumed_parts = j.value("resumed_parts", size_t{0});
    o.sha256 = j.value("sha256", "");
    o.target_sha256 = j.value("target_sha256", "");
    o.error = j.value("error", "");
    if (auto u = j.find("upload"); u != j.end()) {
      o.upload = u->at("id").get<std::string>();
      o.part_size = u->at("part_size").get<uint64_t>();
      o.parts = u->at("parts").get<std::vector<std::string>>();
      o.hash_state = u->value("hash_state", "");
    }
    return o;
  } catch (const json::exception& e) {
    return Internal(std::string("manifest record unreadable: ") + e.what());
  }
}

json MigrationProgressToJson(const MigrationProgress& p) {
  json j = {{"objects_total", p.objects_total}, {"objects_done", p.objects_done}, {"bytes_total", p.bytes_total},
            {"bytes_done", p.bytes_done},       {"bytes_per_s", std::round(p.bytes_per_s)}, {"bytes_written", p.bytes_written}};
  j["eta_s"] = p.eta_s ? json(std::round(*p.eta_s * 10) / 10) : json(nullptr);
  return j;
}

std::string Manifest::ObjectKey(size_t index) const { return "icb:migration:" + operation_ + ":object:" + std::to_string(index); }
std::string Manifest::HeadKey() const { return "icb:migration:" + operation_ + ":manifest"; }

Result<size_t> Manifest::Count(long long* version) {
  ICB_ASSIGN_OR_RETURN(auto head, store_.GetVersioned(HeadKey()));
  if (version) *version = head ? head->version : 0;
  if (!head) return size_t{0};
  ICB_ASSIGN_OR_RETURN(json j, ParseJson(head->value));
  return j.value("objects", size_t{0});
}

Result<std::vector<ManifestObject>> Manifest::Load() {
  ICB_ASSIGN_OR_RETURN(size_t count, Count(nullptr));
  std::vector<ManifestObject> out;
  out.reserve(count);
  for (size_t from = 0; from < count; from += kBatch) {
    std::vector<std::string> keys;
    for (size_t i = from; i < std::min(count, from + kBatch); ++i) keys.push_back(ObjectKey(i));
    ICB_ASSIGN_OR_RETURN(auto records, store_.GetVersionedMany(keys));
    for (size_t k = 0; k < records.size(); ++k) {
      if (!records[k]) return Internal("manifest of " + operation_ + " has no record " + keys[k]);
      ICB_ASSIGN_OR_RETURN(json j, ParseJson(records[k]->value));
      ICB_ASSIGN_OR_RETURN(ManifestObject o, ManifestObjectFromJson(j));
      o.version = records[k]->version;
      out.push_back(std::move(o));
    }
  }
  return out;
}

Status Manifest::Replace(std::vector<ManifestObject>& objects, const Fence& fence) {
  long long head_version = 0;
  ICB_ASSIGN_OR_RETURN(size_t before, Count(&head_version));
  // Records an earlier, interrupted inventory may have left beyond the head's count.
  const size_t span = std::max(before, objects.size()) + kBatch;
  for (size_t from = 0; from < span; from += kBatch) {
    std::vector<std::string> keys;
    for (size_t i = from; i < from + kBatch; ++i) keys.push_back(ObjectKey(i));
    ICB_ASSIGN_OR_RETURN(auto existing, store_.GetVersionedMany(keys));
    std::vector<CasWrite> writes;
    for (size_t k = 0; k < keys.size(); ++k) {
      const size_t i = from + k;
      const long long expected = existing[k] ? existing[k]->version : 0;
      if (i < objects.size()) {
        objects[i].index = i;
        writes.push_back({keys[k], expected, ManifestObjectToJson(objects[i]).dump(), {}, {}});
      } else if (existing[k]) {
        writes.push_back({keys[k], expected, std::nullopt, {}, {}});
      }
    }
    if (writes.empty()) continue;
    ICB_ASSIGN_OR_RETURN(auto versions, store_.CompareAndSetAll(writes, {}, &fence));
    for (size_t k = 0, w = 0; k < keys.size() && w < versions.size(); ++k) {
      const size_t i = from + k;
      if (i < objects.size()) objects[i].version = versions[w++];
      else if (existing[k]) ++w;
    }
  }
  // The head last: until it is written, the old count stands.
  return store_.CompareAndSet({HeadKey(), head_version, json{{"objects", objects.size()}}.dump(), {}, {}}, &fence).status();
}

Status Manifest::Append(std::vector<ManifestObject>& objects, size_t count_before, const Fence& fence) {
  long long head_version = 0;
  ICB_ASSIGN_OR_RETURN(size_t count, Count(&head_version));
  if (count != count_before) return Aborted("manifest of " + operation_ + " changed meanwhile");
  std::vector<CasWrite> writes;
  std::vector<std::string> keys;
  for (size_t i = 0; i < objects.size(); ++i) keys.push_back(ObjectKey(count + i));
  ICB_ASSIGN_OR_RETURN(auto existing, store_.GetVersionedMany(keys));  // left by an interrupted append
  for (size_t i = 0; i < objects.size(); ++i) {
    objects[i].index = count + i;
    writes.push_back({keys[i], existing[i] ? existing[i]->version : 0, ManifestObjectToJson(objects[i]).dump(), {}, {}});
  }
  writes.push_back({HeadKey(), head_version, json{{"objects", count + objects.size()}}.dump(), {}, {}});
  ICB_ASSIGN_OR_RETURN(auto versions, store_.CompareAndSetAll(writes, {}, &fence));
  for (size_t i = 0; i < objects.size(); ++i) objects[i].version = versions[i];
  return Status::Ok();
}

Status Manifest::Write(ManifestObject& object, const Fence& fence) {
  ICB_ASSIGN_OR_RETURN(long long v, store_.CompareAndSet({ObjectKey(object.index), object.version, ManifestObjectToJson(object).dump(), {}, {}}, &fence));
  object.version = v;
  return Status::Ok();
}

namespace {

std::string ProgressKey(std::string_view operation) { return "icb:migration:" + std::string(operation) + ":progress"; }

Result<MigrationProgress> ProgressFromJson(const json& j) {
  MigrationProgress p;
  p.objects_total = j.value("objects_total", size_t{0});
  p.objects_done = j.value("objects_done", size_t{0});
  p.bytes_total = j.value("bytes_total", uint64_t{0});
  p.bytes_done = j.value("bytes_done", uint64_t{0});
  p.bytes_per_s = j.value("bytes_per_s", 0.0);
  p.bytes_written = j.value("bytes_written", uint64_t{0});
  if (j.contains("eta_s") && j["eta_s"].is_number()) p.eta_s = j["eta_s"].get<double>();
  return p;
}

const RecordCodec<MigrationProgress> kProgressRecord{"progress of migration", ProgressKey, MigrationProgressToJson, ProgressFromJson};

}  // namespace

Result<std::optional<MigrationProgress>> Manifest::GetProgress() {
  ICB_ASSIGN_OR_RETURN(auto p, GetRecord(store_, kProgressRecord, operation_));
  if (p) progress_version_ = p->version;
  return p;
}

Status Manifest::PutProgress(const MigrationProgress& p, const Fence& fence) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (progress_version_ < 0) {
      ICB_ASSIGN_OR_RETURN(auto stored, GetRecord(store_, kProgressRecord, operation_));
      progress_version_ = stored ? stored->version : 0;
    }
    MigrationProgress next = p;
    next.version = progress_version_;
    auto v = store_.CompareAndSet(RecordWrite(kProgressRecord, operation_, next), &fence);
    if (v.ok()) {
      progress_version_ = *v;
      return Status::Ok();
    }
    if (v.status().code() != StatusCode::kAborted) return v.status();
    progress_version_ = -1;  // another writer (a broker before this one): read it again
  }
  return Aborted("progress of " + operation_ + " kept changing");
}

Result<std::optional<MigrationProgress>> GetMigrationProgress(Store& store, const std::string& operation) {
  Manifest manifest(store, operation);
  return manifest.GetProgress();
}

}  // namespace icb
