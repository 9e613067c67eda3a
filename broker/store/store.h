// The Store port: the small set of storage operations the core needs. The
// Redis implementation is production; MemoryStore is the fake for unit tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/status.h"

namespace icb {

struct WriteOp {
  enum class Kind { kHashSet, kHashSetIfAbsent, kIncr };
  Kind kind;
  std::string key;
  std::string field;  // hash ops
  std::string value;  // hash ops
};

// Writes applied together: all or none, and no reader sees half of them.
class WriteBatch {
 public:
  // Result per op from Store::Apply: HashSet 1 if the field is new else 0;
  // HashSetIfAbsent 1 if written else 0; Incr the new value.
  WriteBatch& HashSet(std::string key, std::string field, std::string value) {
    ops_.push_back({WriteOp::Kind::kHashSet, std::move(key), std::move(field), std::move(value)});
    return *this;
  }
  WriteBatch& HashSetIfAbsent(std::string key, std::string field, std::string value) {
    ops_.push_back({WriteOp::Kind::kHashSetIfAbsent, std::move(key), std::move(field), std::move(value)});
    return *this;
  }
  WriteBatch& Incr(std::string key) {
    ops_.push_back({WriteOp::Kind::kIncr, std::move(key), {}, {}});
    return *this;
  }
  const std::vector<WriteOp>& ops() const { return ops_; }

 private:
  std::vector<WriteOp> ops_;
};

class Store {
 public:
  virtual ~Store() = default;

  // Round trip to the backing store; Unavailable when it cannot be reached.
  virtual Status Ping() = 0;
  virtual Result<std::optional<std::string>> HashGet(std::string_view key, std::string_view field) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view key) = 0;
  // Integer value of a counter key; 0 when absent.
  virtual Result<long long> GetCounter(std::string_view key) = 0;
  // Applies the batch atomically and durably (per the server's fsync policy)
  // before returning; the result has one value per op.
  virtual Result<std::vector<long long>> Apply(const WriteBatch& batch) = 0;
};

std::unique_ptr<Store> NewMemoryStore();

}  // namespace icb
