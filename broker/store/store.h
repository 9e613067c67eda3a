// The Store port: the small set of storage operations the core needs. The
// Redis implementation is production; MemoryStore is the fake for unit tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/clock.h"
#include "broker/core/status.h"

namespace icb {

struct WriteOp {
  enum class Kind { kHashSet, kHashSetIfAbsent, kHashSetIfEqual, kHashDelete, kIncr, kDelete, kSet, kSetAdd, kSetRemove, kIndexAdd, kIndexRemove };
  Kind kind;
  std::string key;
  std::string field;     // hash ops
  std::string value;     // hash ops
  std::string expected;  // kHashSetIfEqual: what the field must hold
};

// Writes applied together: all or none, and no reader sees half of them.
class WriteBatch {
 public:
  // Result per op from Store::Apply: HashSet 1 if the field is new else 0;
  // HashSetIfAbsent 1 if written else 0; Incr the new value.
  WriteBatch& HashSet(std::string key, std::string field, std::string value) {
    ops_.push_back({WriteOp::Kind::kHashSet, std::move(key), std::move(field), std::move(value), {}});
    return *this;
  }
  WriteBatch& HashSetIfAbsent(std::string key, std::string field, std::string value) {
    ops_.push_back({WriteOp::Kind::kHashSetIfAbsent, std::move(key), std::move(field), std::move(value), {}});
    return *this;
  }
  // Written only while the field holds `expected` (a read-then-write that
  // another writer did not overtake); result 1 if written, else 0.
  WriteBatch& HashSetIfEqual(std::string key, std::string field, std::string expected, std::string value) {
    ops_.push_back({WriteOp::Kind::kHashSetIfEqual, std::move(key), std::move(field), std::move(value), std::move(expected)});
    return *this;
  }
  // Result 1 if the field existed, else 0.
  WriteBatch& HashDelete(std::string key, std::string field) {
    ops_.push_back({WriteOp::Kind::kHashDelete, std::move(key), std::move(field), {}, {}});
    return *this;
  }
  WriteBatch& Incr(std::string key) {
    ops_.push_back({WriteOp::Kind::kIncr, std::move(key), {}, {}, {}});
    return *this;
  }
  // The key gone, whatever it holds; result 1 if it existed, else 0.
  WriteBatch& Delete(std::string key) {
    ops_.push_back({WriteOp::Kind::kDelete, std::move(key), {}, {}, {}});
    return *this;
  }
  // A string key holds `value` (GetMany reads it); result 1.
  WriteBatch& Set(std::string key, std::string value) {
    ops_.push_back({WriteOp::Kind::kSet, std::move(key), {}, std::move(value), {}});
    return *this;
  }
  // Set membership (SetMembers reads it); result 1 if it changed, else 0.
  WriteBatch& SetAdd(std::string key, std::string member) {
    ops_.push_back({WriteOp::Kind::kSetAdd, std::move(key), std::move(member), {}, {}});
    return *this;
  }
  WriteBatch& SetRemove(std::string key, std::string member) {
    ops_.push_back({WriteOp::Kind::kSetRemove, std::move(key), std::move(member), {}, {}});
    return *this;
  }
  // A sorted index: members in byte order, read a page at a time
  // (IndexRange). Result 1 if it changed, else 0.
  WriteBatch& IndexAdd(std::string key, std::string member) {
    ops_.push_back({WriteOp::Kind::kIndexAdd, std::move(key), std::move(member), {}, {}});
    return *this;
  }
  WriteBatch& IndexRemove(std::string key, std::string member) {
    ops_.push_back({WriteOp::Kind::kIndexRemove, std::move(key), std::move(member), {}, {}});
    return *this;
  }
  const std::vector<WriteOp>& ops() const { return ops_; }

 private:
  std::vector<WriteOp> ops_;
};

// Records appended to data_key unless their member is already in the set
// seen_key (first write wins; a retried batch changes nothing).
//
// With `log` set, data_key names an indexed log instead of a string: each
// new record gets the log's next number (1, 2, ...: the order appended),
// is listed in the whole log and under the index names `indexes[k]` of
// item k, and is read a page at a time from a number on (LogRead) and
// trimmed from the oldest (LogTrim) without reading the rest. The audit
// trail is one.
struct AppendGroup {
  std::string seen_key;
  std::string data_key;
  std::vector<std::pair<std::string, std::string>> items;  // member, record
  bool log = false;
  std::vector<std::vector<std::string>> indexes = {};  // log: per item (missing: none)
  std::vector<long long> times = {};  // log: per item, when it happened (ms; LogSeek); missing: not sought
  // String data only: (set, member) pairs added in the same write when it
  // creates data_key (its first record), so the sets that list where
  // records are never lag them, without a set add per record. A partitioned
  // store needs these sets in the group's KeyGroup.
  std::vector<std::pair<std::string, std::string>> listed_in = {};
};

// One record of an indexed log and its number.
struct LogEntry {
  long long seq = 0;
  std::string record;
};

// A record only compare-and-set changes, with a version that counts its
// writes (0: absent). Operations and the state the orchestrator owns live in
// these: two writers that read the same version cannot both win.
struct Versioned {
  std::string value;
  long long version = 0;
};

// One compare-and-set: `key` must be at version `expected` (0: absent); it
// then holds `value` at expected + 1, or is deleted when value is nullopt.
// The set changes are applied with it, atomically (indexes of the records).
struct CasWrite {
  std::string key;
  long long expected = 0;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> set_add, set_remove;  // (set, member)
  std::vector<std::pair<std::string, std::string>> index_add = {};       // (sorted index, member): IndexRange pages it
};

// A lease held by one broker at a time, with a fencing epoch: every
// acquisition after the lease was free gets an epoch one higher than any
// before, so a write carrying an older epoch is recognisably stale
// (Kleppmann's fencing token).
struct Lease {
  std::string holder;
  long long epoch = 0;
};

// Fences a write: refused unless `epoch` is the latest epoch of lease `lease`.
struct Fence {
  std::string lease;
  long long epoch = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Round trip to the backing store; Unavailable when it cannot be reached.
  virtual Status Ping() = 0;

  // The part of a key that keeps it with every other key of `group` where
  // the store is partitioned over servers: a Redis Cluster hash tag,
  // "{group}". Elsewhere `group` itself, so keys read as they always have.
  // An atomic write (Apply, CompareAndSetAll, one AppendGroup) touches keys
  // of one group; a key built without one is in the control group, with
  // every other such key.
  virtual std::string KeyGroup(std::string_view group) const { return std::string(group); }
  virtual Result<std::optional<std::string>> HashGet(std::string_view key, std::string_view field) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view key) = 0;
  // The fields of a hash without their values (a page of a collection is
  // chosen from these, then read with HashGetMany).
  virtual Result<std::vector<std::string>> HashKeys(std::string_view key) = 0;
  // Values of `fields` in one round trip; nullopt for absent ones, in order.
  virtual Result<std::vector<std::optional<std::string>>> HashGetMany(std::string_view key, const std::vector<std::string>& fields) = 0;
  // Integer value of a counter key; 0 when absent.
  virtual Result<long long> GetCounter(std::string_view key) = 0;
  // Applies the batch atomically and durably (per the server's fsync policy)
  // before returning; the result has one value per op.
  virtual Result<std::vector<long long>> Apply(const WriteBatch& batch) = 0;

  // Applies every group and then adds each (set, member) of set_adds, all
  // atomically and durably in one round trip. Returns how many records were
  // appended (items whose member was new). A partitioned store (KeyGroup)
  // is atomic per group of keys instead: each AppendGroup's keys must share
  // one, set adds in other groups are applied before the records; since a
  // retry adds nothing, a call that failed part way is completed by calling
  // it again.
  virtual Result<long long> AppendUnique(const std::vector<AppendGroup>& groups,
                                         const std::vector<std::pair<std::string, std::string>>& set_adds) = 0;
  // Values of many string keys in one round trip; nullopt for absent keys.
  // A counter (WriteBatch::Incr) reads as its decimal digits.
  virtual Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& keys) = 0;
  virtual Result<std::vector<std::string>> SetMembers(std::string_view key) = 0;
  // Up to `limit` members of a sorted index (WriteBatch::IndexAdd) after
  // `after` ("": from the first), ascending in byte order: a page of ids
  // without reading the rest.
  virtual Result<std::vector<std::string>> IndexRange(std::string_view key, std::string_view after, size_t limit) = 0;
  // Whether each key holds anything, in one round trip.
  virtual Result<std::vector<bool>> Exists(const std::vector<std::string>& keys) = 0;

  // Indexed logs (AppendGroup::log). Up to `limit` records of `log` listed
  // under `index` ("": the whole log) numbered above `after`, ascending.
  virtual Result<std::vector<LogEntry>> LogRead(std::string_view log, std::string_view index, long long after, size_t limit) = 0;
  // Removes the records numbered below `below` from the log, its indexes
  // and `seen_key`; returns how many. Bounded work per call: at most
  // `most` records (call again while it returns `most`).
  virtual Result<size_t> LogTrim(std::string_view log, std::string_view seen_key, long long below, size_t most) = 0;
  // The number of the first record whose time is at or after `time` (ms,
  // AppendGroup::times); nullopt: none.
  virtual Result<std::optional<long long>> LogSeek(std::string_view log, long long time) = 0;
  // How many records the log holds, and the numbers of its oldest and newest (0, 0: none).
  struct LogSize {
    size_t records = 0;
    long long first = 0, last = 0;
  };
  virtual Result<LogSize> LogStat(std::string_view log) = 0;
  // Lists records already in the log under more indexes (ones added after
  // they were written), atomically; a record already listed under a name,
  // or no longer in the log, is left as it is (idempotent). LogTrim then
  // removes them from these indexes too.
  struct LogIndexing {
    long long seq = 0;
    std::vector<std::string> indexes;
  };
  virtual Status LogAddIndexes(std::string_view log, const std::vector<LogIndexing>& additions) = 0;

  // Versioned records (separate from the hashes, counters and strings above).
  virtual Result<std::optional<Versioned>> GetVersioned(std::string_view key) = 0;
  // Many records in one round trip where the backend can (Redis pipelines
  // them); nullopt for absent ones, in the order of `keys`.
  virtual Result<std::vector<std::optional<Versioned>>> GetVersionedMany(const std::vector<std::string>& keys) {
    std::vector<std::optional<Versioned>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) {
      ICB_ASSIGN_OR_RETURN(auto v, GetVersioned(k));
      out.push_back(std::move(v));
    }
    return out;
  }
  // Only the versions of many records (nullopt for absent ones), in one
  // round trip where the backend can: a follower of thousands of records
  // reads again only those whose version moved.
  virtual Result<std::vector<std::optional<long long>>> GetVersions(const std::vector<std::string>& keys) {
    ICB_ASSIGN_OR_RETURN(auto records, GetVersionedMany(keys));
    std::vector<std::optional<long long>> out;
    out.reserve(records.size());
    for (const auto& r : records) out.push_back(r ? std::optional<long long>(r->version) : std::nullopt);
    return out;
  }
  // Returns the new version (0 after a delete). Aborted when the record is
  // not at `expected` (another write came first: read it again);
  // FailedPrecondition when `fence` is given and its epoch is stale. Nothing
  // is written in either case.
  Result<long long> CompareAndSet(const CasWrite& write, const Fence* fence = nullptr) {
    ICB_ASSIGN_OR_RETURN(auto versions, CompareAndSetAll({write}, {}, fence));
    return versions.front();
  }
  // Several records at once: every one must be at its expected version, and
  // then all are written together with the appends (records kept once per
  // member, like AppendUnique: the audit events of the same change), or
  // nothing is. A key may appear once. Returns the new versions in order.
  virtual Result<std::vector<long long>> CompareAndSetAll(const std::vector<CasWrite>& writes,
                                                          const std::vector<AppendGroup>& appends,
                                                          const Fence* fence = nullptr) = 0;

  // Takes lease `name` for `holder` for `ttl` when it is free or has expired
  // (a new epoch), or renews it when `holder` holds it (the same epoch).
  // nullopt while another holder has it.
  virtual Result<std::optional<Lease>> AcquireLease(std::string_view name, std::string_view holder, Millis ttl) = 0;
  // Frees the lease if `lease` is still how it is held; otherwise nothing.
  virtual Status ReleaseLease(std::string_view name, const Lease& lease) = 0;
};

// InvalidArgument when a key appears twice among `writes`.
Status CheckDistinctKeys(const std::vector<CasWrite>& writes);
// InvalidArgument for a log group with listed_in (only string data is
// listed on creation): every store refuses the same groups.
Status CheckAppendGroups(const std::vector<AppendGroup>& groups);

// `clock` times leases (a ManualClock in tests); null: the system clock.
std::unique_ptr<Store> NewMemoryStore(const Clock* clock = nullptr);

}  // namespace icb
