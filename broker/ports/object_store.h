// The object-storage port: what the broker needs of a provider's storage to
// copy, verify and switch data (S3-compatible, Azure Blob, ... in adapters/).
// Bytes stream through in chunks, so an object larger than memory can move.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/clock.h"
#include "broker/core/status.h"

namespace icb {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // as the store reports it (quotes removed)
  std::optional<TimePoint> modified;
};

struct ObjectPage {
  std::vector<ObjectInfo> objects;  // ascending key
  std::string next_token;           // empty: no more pages
};

// Where Get delivers bytes, chunk by chunk; a non-ok Status stops the read.
using ByteSink = std::function<Status(std::string_view chunk)>;

// Where Put reads bytes from: fills up to `n` bytes, returns how many (0 at the end).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(char* buffer, size_t n) = 0;
};

// A ByteSource over bytes in memory.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buffer, size_t n) override {
    size_t k = std::min(n, data_.size() - at_);
    data_.copy(buffer, k, at_);
    at_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

class ObjectStore {
 public:
  static constexpr const char* kCapability = "object_storage";
  virtual ~ObjectStore() = default;
  // Creates the bucket/container the store is configured for; ok if it exists.
  virtual Status EnsureContainer() = 0;
  // Keys beginning with `prefix`, at most `max_keys` per page, after `token`.
  virtual Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) = 0;
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;  // NotFound when absent
  virtual Status Get(std::string_view key, const ByteSink& sink) = 0;
  // `size` bytes from `source`; large objects go up in parts.
  virtual Status Put(std::string_view key, ByteSource& source, uint64_t size) = 0;
  virtual Status Delete(std::string_view key) = 0;  // ok when already absent

  // Bytes [offset, offset + length) of an object (a resumed copy reads from
  // its last stored part on). The default reads the whole object and skips;
  // stores that can read a range override it.
  virtual Status GetRange(std::string_view key, uint64_t offset, uint64_t length, const ByteSink& sink);

  // Uploads in parts that outlive the process (S3 multipart uploads, Azure
  // uncommitted blocks): the caller keeps the upload's id and each part's
  // tag in its manifest, and after a crash puts only the parts it has not
  // got yet. Nothing is visible under `key` until Complete. PartSize() 0:
  // the store has no such uploads (Put whole objects).
  virtual uint64_t PartSize() const { return 0; }
  virtual Result<std::string> StartParts(std::string_view key);
  // Part `number` (from 1; every part but the last PartSize() bytes) and
  // its tag for Complete. NotFound when the upload is gone (aborted or
  // expired at the provider): start again.
  virtual Result<std::string> PutPart(std::string_view key, std::string_view upload, int number, std::string_view data);
  virtual Status CompleteParts(std::string_view key, std::string_view upload, const std::vector<std::string>& tags);
  virtual Status AbortParts(std::string_view key, std::string_view upload);  // ok when already gone
};

// Exactly `n` bytes from `source` into `out`; InvalidArgument when it ends early.
Status ReadExactly(ByteSource& source, uint64_t n, std::string& out);

// Reads an object of `size` bytes in ranges of `chunk` (one whole read when it
// fits), checking each answer's length: `fetch(first, last)` returns the bytes
// of that inclusive range, or of the whole object when `whole` is true.
using RangeFetch = std::function<Result<std::string>(uint64_t first, uint64_t last, bool whole)>;
Status RangedGet(std::string_view what, uint64_t size, uint64_t chunk, const RangeFetch& fetch, const ByteSink& sink);

// Every key under a prefix, following pages.
Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, std::string_view prefix, int page_size = 1000);

}  // namespace icb
