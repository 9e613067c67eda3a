// Copies one object of a manifest and proves the copy: the SHA-256 of the
// bytes read from the source, computed while they stream, is compared with
// the SHA-256 of the bytes read back from the target (never an ETag or
// MD5: S3, Azure and Google share no hash, and multipart objects have no
// MD5). A copy whose hashes differ is made again, up to kMaxTries; an
// object whose source changed under the copy is copied again.
//
// Large objects go up in parts where the target store has resumable
// uploads (ObjectStore::PartSize): each stored part is recorded with the
// source hash's state after it, so a copy interrupted anywhere resumes from
// its last stored part.
#pragma once

#include <functional>

#include "broker/ports/object_store.h"
#include "broker/orchestrator/data/manifest.h"

namespace icb {

inline constexpr int kMaxCopyTries = 3;     // copies whose hashes differ before the object fails
inline constexpr int kMaxSourceChanges = 5; // source changes under a copy before the object fails

struct CopyHooks {
  // Makes the object's record durable (each stored part, each outcome); a
  // failure stops the copy (a lost lease).
  std::function<Status(ManifestObject&)> save;
  // Bytes just stored at the target.
  std::function<void(uint64_t)> wrote;
  // Asked between parts: true stops the copy (cancelled, shutting down).
  std::function<bool()> stopped;
};

// Ends with `object` verified, vanished (gone at the source) or failed
// (tries or changes spent; `error` says why), its record saved; a non-ok
// Status is a provider or store error: the record says how far it got and
// a later call goes on from there.
Status CopyVerified(ObjectStore& from, ObjectStore& to, ManifestObject& object, const CopyHooks& hooks);

}  // namespace icb
