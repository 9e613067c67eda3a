// An in-memory ObjectStore for unit tests (and the conformance suite's
// reference): the same behaviour as a real store, no server.
#pragma once

#include <memory>

#include "broker/ports/object_store.h"

namespace icb {

// Get delivers in chunks of `chunk` bytes, as a ranged reader would;
// `part_size` > 0 gives it uploads in parts of that size.
std::unique_ptr<ObjectStore> NewMemoryObjectStore(size_t chunk = 1 << 20, uint64_t part_size = 0);

}  // namespace icb
