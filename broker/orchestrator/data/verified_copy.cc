#include "broker/orchestrator/data/verified_copy.h"

#include "broker/ports/copy.h"
#include "broker/ports/digest.h"

namespace icb {

namespace {

void ForgetUpload(ManifestObject& o) {
  o.upload.clear();
  o.part_size = 0;
  o.parts.clear();
  o.hash_state.clear();
}

// Drops an upload in progress (its parts would be of other bytes).
void DropUpload(ObjectStore& to, ManifestObject& o) {
  if (!o.upload.empty()) (void)to.AbortParts(o.target_key, o.upload);  // what stays behind expires at the provider
  ForgetUpload(o);
}

// Whether the target already holds the object with the source's SHA-256.
bool CompletedAlready(ObjectStore& to, const ManifestObject& o, const std::string& sha256) {
  auto there = to.Head(o.target_key);
  if (!(there.ok() && there->size == o.size)) return false;
  Sha256Stream readback;
  Status read = to.Get(o.target_key, [&](std::string_view chunk) {
    readback.Update(chunk);
    return Status::Ok();
  });
  return read.ok() && readback.size() == o.size && readback.FinalHex() == sha256;
}

// Puts the parts not stored yet and completes the upload; `sha256` gets
// the source's hash. Restarts the upload when the provider lost it.
Status CopyInParts(ObjectStore& from, ObjectStore& to, ManifestObject& o, const CopyHooks& hooks, std::string& sha256) {
  const uint64_t part = to.PartSize();
  for (int fresh = 0;; ++fresh) {
    if (fresh > 1) return Unavailable("upload of " + o.target_key + " was lost twice at the target");
    std::optional<Sha256Stream> hasher;
    if (!o.upload.empty() && o.part_size == part) hasher = o.parts.empty() ? Sha256Stream() : Sha256Stream::Restore(o.hash_state);
    if (!hasher || std::min<uint64_t>(o.parts.size() * part, o.size) != hasher->size()) {
      DropUpload(to, o);
      ICB_ASSIGN_OR_RETURN(o.upload, to.StartParts(o.target_key));
      o.part_size = part;
      hasher = Sha256Stream();
      ICB_RETURN_IF_ERROR(hooks.save(o));
    }
    const size_t count = static_cast<size_t>((o.size + part - 1) / part);
    const bool resumed_complete = o.parts.size() == count;
    bool lost = false;
    std::string buf;
    for (size_t i = o.parts.size(); i < count; ++i) {
      if (hooks.stopped && hooks.stopped()) return Aborted("copy stopped");
      const uint64_t at = i * part, len = std::min(part, o.size - at);
      buf.clear();
      ICB_RETURN_IF_ERROR(from.GetRange(o.key, at, len, [&](std::string_view chunk) {
        buf.append(chunk);
        return Status::Ok();
      }));
      hasher->Update(buf);
      auto tag = to.PutPart(o.target_key, o.upload, static_cast<int>(i + 1), buf);
      if (tag.status().code() == StatusCode::kNotFound) {
        lost = true;
        break;
      }
      ICB_RETURN_IF_ERROR(tag.status());
      o.parts.push_back(*tag);
      o.hash_state = hasher->Save();
      ICB_RETURN_IF_ERROR(hooks.save(o));  // this part is stored: a resumed copy starts after it
      if (hooks.wrote) hooks.wrote(len);
    }
    if (lost) {
      ForgetUpload(o);
      continue;
    }
    sha256 = hasher->FinalHex();
    // Every part was stored before this call: the process before a crash may
    // have completed the upload (or be completing it still; asking again
    // races with that, and some servers fall over on it). Check first.
    if (resumed_complete && CompletedAlready(to, o, sha256)) return Status::Ok();
    Status done = to.CompleteParts(o.target_key, o.upload, o.parts);
    if (!done.ok()) {
      // Completed before a crash, then asked again: S3 forgets a completed
      // upload (404; some servers answer 500). What stands at the target is
      // checked by reading it back, which decides. Nothing there: the
      // upload is no good; the next copy starts it afresh.
      auto there = to.Head(o.target_key);
      if (!(there.ok() && there->size == o.size)) {
        DropUpload(to, o);
        ICB_RETURN_IF_ERROR(hooks.save(o));
        return done;
      }
    }
    return Status::Ok();
  }
}

}  // namespace

Status CopyVerified(ObjectStore& from, ObjectStore& to, ManifestObject& o, const CopyHooks& hooks) {
  while (!o.finished()) {
    if (hooks.stopped && hooks.stopped()) return Aborted("copy stopped");
    auto head = from.Head(o.key);
    if (head.status().code() == StatusCode::kNotFound) {
      DropUpload(to, o);
      o.state = ObjectCopyState::kVanished;
      return hooks.save(o);
    }
    ICB_RETURN_IF_ERROR(head.status());
    if (head->etag != o.etag || head->size != o.size) {
      // Not the version listed (or last copied): copy what is there now.
      if (o.state != ObjectCopyState::kPending || !o.upload.empty()) ++o.changes;
      DropUpload(to, o);
      o.etag = head->etag;
      o.size = head->size;
      if (o.changes > kMaxSourceChanges) {
        o.state = ObjectCopyState::kFailed;
        o.error = "changed at the source " + std::to_string(o.changes) + " times during the copy";
        return hooks.save(o);
      }
    }
    // Before it begins: a copy started (and from which part), so that what a
    // crash made us do again is on the record.
    o.state = ObjectCopyState::kCopying;
    ++o.attempts;
    o.resumed_parts = o.parts.size();
    ICB_RETURN_IF_ERROR(hooks.save(o));
    std::string source_sha;
    if (to.PartSize() > 0 && o.size > to.PartSize()) {
      ICB_RETURN_IF_ERROR(CopyInParts(from, to, o, hooks, source_sha));
    } else {
      if (!o.upload.empty()) DropUpload(to, o);
      Sha256Stream hasher;
      ICB_RETURN_IF_ERROR(CopyObject(from, *head, to, o.target_key, 4, [&](std::string_view chunk) { hasher.Update(chunk); }));
      if (hooks.wrote) hooks.wrote(o.size);
      source_sha = hasher.FinalHex();
    }
    // Read back what the target holds.
    Sha256Stream readback;
    uint64_t read = 0;
    ICB_RETURN_IF_ERROR(to.Get(o.target_key, [&](std::string_view chunk) {
      readback.Update(chunk);
      read += chunk.size();
      return Status::Ok();
    }));
    const std::string target_sha = readback.FinalHex();
    // The source as it is now: a write during the copy means it is copied again.
    auto after = from.Head(o.key);
    if (after.ok() && (after->etag != o.etag || after->size != o.size)) {
      ++o.changes;
      ForgetUpload(o);
      o.state = ObjectCopyState::kPending;
      o.etag = after->etag;
      o.size = after->size;
      if (o.changes > kMaxSourceChanges) {
        o.state = ObjectCopyState::kFailed;
        o.error = "changed at the source " + std::to_string(o.changes) + " times during the copy";
      }
      ICB_RETURN_IF_ERROR(hooks.save(o));
      continue;
    }
    if (after.status().code() == StatusCode::kNotFound) continue;  // gone meanwhile: the next Head says vanished
    ICB_RETURN_IF_ERROR(after.status());
    o.sha256 = source_sha;
    o.target_sha256 = target_sha;
    ForgetUpload(o);
    if (source_sha == target_sha && read == o.size) {
      o.state = ObjectCopyState::kVerified;
      o.error.clear();
    } else {
      ++o.tries;
      o.error = "SHA-256 differs: source " + source_sha + ", target " + target_sha + " (" + std::to_string(read) + " of " + std::to_string(o.size) +
                " bytes read back), copy " + std::to_string(o.tries) + " of " + std::to_string(kMaxCopyTries);
      o.state = o.tries >= kMaxCopyTries ? ObjectCopyState::kFailed : ObjectCopyState::kPending;
    }
    ICB_RETURN_IF_ERROR(hooks.save(o));
  }
  return Status::Ok();
}

}  // namespace icb
