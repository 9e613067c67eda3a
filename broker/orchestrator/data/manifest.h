// A migration's manifest in the store: what is to be copied and how far
// each object got, so that a broker killed at any point resumes where the
// records say: a verified object is not copied again, a large object's
// upload goes on from its last stored part, and an object that changed at
// the source since it was listed is copied again.
//
// One versioned record per object (icb:migration:OP:object:N, N its place
// in the listing) and one head (icb:migration:OP:manifest) with the count.
// Every write is fenced by the runner's lease epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/orchestrator/engine/stored_record.h"
#include "broker/store/store.h"

namespace icb {

enum class ObjectCopyState { kPending, kCopying, kVerified, kFailed, kVanished };
std::string_view ObjectCopyStateName(ObjectCopyState s);

struct ManifestObject {
  size_t index = 0;          // place in the manifest
  std::string key;           // at the source
  std::string target_key;
  uint64_t size = 0;         // as listed (or as found when copied)
  std::string etag;          // the source's version tag when it was read
  ObjectCopyState state = ObjectCopyState::kPending;
  int tries = 0;             // copies whose hashes differed
  int attempts = 0;          // copies started (recorded before each begins)
  size_t resumed_parts = 0;  // parts already stored when the last copy began
  int changes = 0;           // times the source changed under a copy
  std::string sha256;        // of the bytes read from the source
  std::string target_sha256; // of the bytes read back from the target
  std::string error;         // why it failed
  // A large object's upload in parts, while it runs.
  std::string upload;
  uint64_t part_size = 0;
  std::vector<std::string> parts;  // the stored parts' tags, in order
  std::string hash_state;          // the source's SHA-256 after those parts
  long long version = 0;           // of its record

  bool finished() const { return state == ObjectCopyState::kVerified || state == ObjectCopyState::kVanished || state == ObjectCopyState::kFailed; }
};

nlohmann::json ManifestObjectToJson(const ManifestObject& o);
Result<ManifestObject> ManifestObjectFromJson(const nlohmann::json& j);

// Where the copy goes: objects under `source_prefix` land under
// `target_prefix` with the rest of their key.
struct CopySet {
  std::string source_prefix, target_prefix;
};

struct MigrationProgress {
  size_t objects_total = 0, objects_done = 0;
  uint64_t bytes_total = 0, bytes_done = 0;
  double bytes_per_s = 0;
  std::optional<double> eta_s;
  // What was moved over the wire (a resumed run counts only its own).
  uint64_t bytes_written = 0;
  long long version = 0;  // of its stored record (not shown)
};
nlohmann::json MigrationProgressToJson(const MigrationProgress& p);

class Manifest {
 public:
  Manifest(Store& store, std::string operation) : store_(store), operation_(std::move(operation)) {}

  // Every object record, in index order (empty before the inventory).
  Result<std::vector<ManifestObject>> Load();
  // Replaces the manifest with `objects` (a new inventory): records beyond
  // their count are removed. Idempotent: run again, it writes the same.
  Status Replace(std::vector<ManifestObject>& objects, const Fence& fence);
  // Adds objects at the end (found by a later listing); sets their index.
  Status Append(std::vector<ManifestObject>& objects, size_t count_before, const Fence& fence);
  // One object's record over the version it was read at; sets its version.
  Status Write(ManifestObject& object, const Fence& fence);

  // The progress record the copy keeps (none before the copy starts).
  Result<std::optional<MigrationProgress>> GetProgress();
  Status PutProgress(const MigrationProgress& p, const Fence& fence);

  std::string ObjectKey(size_t index) const;
  std::string HeadKey() const;

 private:
  Result<size_t> Count(long long* version);

  Store& store_;
  std::string operation_;
  long long progress_version_ = -1;  // -1: not read yet
};

// The progress of a migration's copy, as its data mover last recorded it.
Result<std::optional<MigrationProgress>> GetMigrationProgress(Store& store, const std::string& operation);

}  // namespace icb
