// Copying objects between two stores through the port, streaming: the
// source's chunks flow through a bounded queue into the target's upload, so
// memory stays at a few chunks whatever the object's size.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "broker/ports/object_store.h"

namespace icb {

struct CopyResult {
  size_t objects = 0;
  uint64_t bytes = 0;
};

// Sees each chunk read from the source, in order (a hash of what was read).
using ChunkTap = std::function<void(std::string_view chunk)>;

// One object; the target gets exactly the source's size or an error.
Status CopyObject(ObjectStore& from, const ObjectInfo& object, ObjectStore& to, const std::string& to_key, size_t queue_chunks = 4,
                  const ChunkTap& tap = nullptr);

// Every object under `prefix`, `parallel` at a time (like rclone's --transfers).
Result<CopyResult> CopyPrefix(ObjectStore& from, const std::string& prefix, ObjectStore& to, int parallel = 4);

}  // namespace icb
