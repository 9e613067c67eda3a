#include <map>
#include <mutex>
#include <set>

#include "broker/store/store.h"

namespace icb {
namespace {

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(const Clock* clock) : clock_(clock ? clock : &system_clock_) {}

  Status Ping() override { return Status::Ok(); }

  Result<std::optional<std::string>> HashGet(std::string_view key, std::string_view field) override {
    std::lock_guard lock(mu_);
    auto h = hashes_.find(key);
    if (h == hashes_.end()) return std::optional<std::string>();
    auto f = h->second.find(field);
    if (f == h->second.end()) return std::optional<std::string>();
    return std::optional<std::string>(f->second);
  }

  Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view key) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    auto h = hashes_.find(key);
    if (h != hashes_.end()) out.assign(h->second.begin(), h->second.end());
    return out;
  }

  Result<std::vector<std::string>> HashKeys(std::string_view key) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    auto h = hashes_.find(key);
    if (h != hashes_.end()) {
      for (const auto& [field, value] : h->second) out.push_back(field);
    }
    return out;
  }

  Result<std::vector<std::optional<std::string>>> HashGetMany(std::string_view key, const std::vector<std::string>& fields) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<std::string>> out(fields.size());
    auto h = hashes_.find(key);
    if (h == hashes_.end()) return out;
    for (size_t i = 0; i < fields.size(); ++i) {
      auto it = h->second.find(fields[i]);
      if (it != h->second.end()) out[i] = it->second;
    }
    return out;
  }

  Result<long long> GetCounter(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = counters_.find(key);
    return it == counters_.end() ? 0LL : it->second;
  }

  Result<std::vector<long long>> Apply(const WriteBatch& batch) override {
    std::lock_guard lock(mu_);
    std::vector<long long> results;
    for (const auto& op : batch.ops()) {
      switch (op.kind) {
        case WriteOp::Kind::kHashSet: {
          auto [it, inserted] = hashes_[op.key].insert_or_assign(op.field, op.value);
          results.push_back(inserted ? 1 : 0);
          break;
        }
        case WriteOp::Kind::kHashSetIfAbsent:
          results.push_back(hashes_[op.key].emplace(op.field, op.value).second ? 1 : 0);
          break;
        case WriteOp::Kind::kHashSetIfEqual: {
          auto h = hashes_.find(op.key);
          const bool holds = h != hashes_.end() && h->second.count(op.field) && h->second.at(op.field) == op.expected;
          if (holds) h->second[op.field] = op.value;
          results.push_back(holds ? 1 : 0);
          break;
        }
        case WriteOp::Kind::kHashDelete: {
          auto h = hashes_.find(op.key);
          results.push_back(h != hashes_.end() && h->second.erase(op.field) ? 1 : 0);
          break;
        }
        case WriteOp::Kind::kIncr:
          results.push_back(++counters_[op.key]);
          break;
        case WriteOp::Kind::kDelete:
          results.push_back(strings_.erase(op.key) + hashes_.erase(op.key) + counters_.erase(op.key) + sets_.erase(op.key) + indexes_.erase(op.key) > 0 ? 1 : 0);
          break;
        case WriteOp::Kind::kSet:
          strings_.insert_or_assign(op.key, op.value);
          results.push_back(1);
          break;
        case WriteOp::Kind::kSetAdd:
          results.push_back(sets_[op.key].insert(op.field).second ? 1 : 0);
          break;
        case WriteOp::Kind::kSetRemove: {
          auto it = sets_.find(op.key);
          const bool removed = it != sets_.end() && it->second.erase(op.field) > 0;
          if (it != sets_.end() && it->second.empty()) sets_.erase(it);  // as Redis: an empty set is no key
          results.push_back(removed ? 1 : 0);
          break;
        }
        case WriteOp::Kind::kIndexAdd:
          results.push_back(indexes_[op.key].insert(op.field).second ? 1 : 0);
          break;
        case WriteOp::Kind::kIndexRemove: {
          auto it = indexes_.find(op.key);
          const bool removed = it != indexes_.end() && it->second.erase(op.field) > 0;
          if (it != indexes_.end() && it->second.empty()) indexes_.erase(it);
          results.push_back(removed ? 1 : 0);
          break;
        }
      }
    }
    return results;
  }

  Result<long long> AppendUnique(const std::vector<AppendGroup>& groups,
                                 const std::vector<std::pair<std::string, std::string>>& set_adds) override {
    ICB_RETURN_IF_ERROR(CheckAppendGroups(groups));
    std::lock_guard lock(mu_);
    long long appended = 0;
    for (const auto& g : groups) appended += ApplyGroup(g);
    for (const auto& [set, member] : set_adds) sets_[set].insert(member);
    return appended;
  }

  Result<std::vector<LogEntry>> LogRead(std::string_view log, std::string_view index, long long after, size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<LogEntry> out;
    auto l = logs_.find(log);
    if (l == logs_.end()) return out;
    if (index.empty()) {
      for (auto it = l->second.records.upper_bound(after); it != l->second.records.end() && out.size() < limit; ++it)
        out.push_back({it->first, it->second.record});
      return out;
    }
    auto ix = l->second.indexes.find(index);
    if (ix == l->second.indexes.end()) return out;
    for (auto it = ix->second.upper_bound(after); it != ix->second.end() && out.size() < limit; ++it)
      out.push_back({*it, l->second.records.at(*it).record});
    return out;
  }

  Result<size_t> LogTrim(std::string_view log, std::string_view seen_key, long long below, size_t most) override {
    std::lock_guard lock(mu_);
    auto l = logs_.find(log);
    if (l == logs_.end()) return size_t{0};
    size_t n = 0;
    auto& recs = l->second.records;
    while (!recs.empty() && recs.begin()->first < below && n < most) {
      const auto& [seq, rec] = *recs.begin();
      if (auto s = sets_.find(seen_key); s != sets_.end()) s->second.erase(rec.id);
      for (const auto& name : rec.indexes)
        if (auto ix = l->second.indexes.find(name); ix != l->second.indexes.end() && (ix->second.erase(seq), ix->second.empty()))
          l->second.indexes.erase(ix);
      if (rec.time) l->second.times.erase({*rec.time, seq});
      recs.erase(recs.begin());
      ++n;
    }
    return n;
  }

  Result<std::optional<long long>> LogSeek(std::string_view log, long long time) override {
    std::lock_guard lock(mu_);
    auto l = logs_.find(log);
    if (l == logs_.end()) return std::optional<long long>();
    auto it = l->second.times.lower_bound({time, 0});
    if (it == l->second.times.end()) return std::optional<long long>();
    return std::optional<long long>(it->second);
  }

  Result<LogSize> LogStat(std::string_view log) override {
    std::lock_guard lock(mu_);
    LogSize out;
    auto l = logs_.find(log);
    if (l == logs_.end() || l->second.records.empty()) return out;
    out.records = l->second.records.size();
    out.first = l->second.records.begin()->first;
    out.last = l->second.records.rbegin()->first;
    return out;
  }

  Status LogAddIndexes(std::string_view log, const std::vector<LogIndexing>& additions) override {
    std::lock_guard lock(mu_);
    auto l = logs_.find(log);
    if (l == logs_.end()) return Status::Ok();
    for (const auto& a : additions) {
      auto rec = l->second.records.find(a.seq);
      if (rec == l->second.records.end()) continue;
      for (const auto& name : a.indexes)
        if (l->second.indexes[name].insert(a.seq).second) rec->second.indexes.push_back(name);
    }
    return Status::Ok();
  }

  Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto it = strings_.find(k);
      auto counter = counters_.find(k);
      // A counter is a string of its digits, as Redis keeps one.
      out.push_back(it != strings_.end() ? std::optional<std::string>(it->second)
                    : counter != counters_.end() ? std::optional<std::string>(std::to_string(counter->second))
                                                 : std::nullopt);
    }
    return out;
  }

  Result<std::vector<bool>> Exists(const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    std::vector<bool> out;
    for (const auto& k : keys) out.push_back(strings_.contains(k) || hashes_.contains(k) || counters_.contains(k) || sets_.contains(k) || indexes_.contains(k));
    return out;
  }

  Result<std::vector<std::string>> IndexRange(std::string_view key, std::string_view after, size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    auto it = indexes_.find(key);
    if (it == indexes_.end()) return out;
    auto from = after.empty() ? it->second.begin() : it->second.upper_bound(after);
    for (; from != it->second.end() && out.size() < limit; ++from) out.push_back(*from);
    return out;
  }

  Result<std::vector<std::string>> SetMembers(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = sets_.find(key);
    if (it == sets_.end()) return std::vector<std::string>();
    return std::vector<std::string>(it->second.begin(), it->second.end());
  }

  Result<std::optional<Versioned>> GetVersioned(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = records_.find(key);
    if (it == records_.end()) return std::optional<Versioned>();
    return std::optional<Versioned>(it->second);
  }

  Result<std::vector<long long>> CompareAndSetAll(const std::vector<CasWrite>& writes, const std::vector<AppendGroup>& appends,
                                                  const Fence* fence) override {
    ICB_RETURN_IF_ERROR(CheckDistinctKeys(writes));
    ICB_RETURN_IF_ERROR(CheckAppendGroups(appends));
    std::lock_guard lock(mu_);
    if (fence && LatestEpoch(fence->lease) != fence->epoch) {
      return FailedPrecondition("stale lease epoch " + std::to_string(fence->epoch) + " for " + fence->lease + " (latest " +
                                std::to_string(LatestEpoch(fence->lease)) + ")");
    }
    for (const auto& w : writes) {
      auto it = records_.find(w.key);
      long long current = it == records_.end() ? 0 : it->second.version;
      if (current != w.expected) {
        return Aborted("record " + w.key + " is at version " + std::to_string(current) + ", not " + std::to_string(w.expected));
      }
    }
    std::vector<long long> versions;
    for (const auto& w : writes) {
      long long next = 0;
      if (w.value) {
        next = w.expected + 1;
        records_[w.key] = Versioned{*w.value, next};
      } else {
        records_.erase(w.key);
      }
      versions.push_back(next);
      for (const auto& [set, member] : w.set_add) sets_[set].insert(member);
      for (const auto& [set, member] : w.set_remove)
        if (auto si = sets_.find(set); si != sets_.end()) si->second.erase(member);
      for (const auto& [index, member] : w.index_add) indexes_[index].insert(member);
    }
    for (const auto& g : appends) ApplyGroup(g);
    return versions;
  }

  Result<std::optional<Lease>> AcquireLease(std::string_view name, std::string_view holder, Millis ttl) override {
    std::lock_guard lock(mu_);
    const MonoTime now = clock_->Monotonic();
    auto it = leases_.find(name);
    if (it != leases_.end() && it->second.expires > now) {
      if (it->second.lease.holder != holder) return std::optional<Lease>();
      it->second.expires = now + ttl;  // renewal keeps the epoch
      return std::optional<Lease>(it->second.lease);
    }
    long long epoch = ++epochs_[std::string(name)];
    Held held{Lease{std::string(holder), epoch}, now + ttl};
    leases_.insert_or_assign(std::string(name), held);
    return std::optional<Lease>(held.lease);
  }

  Status ReleaseLease(std::string_view name, const Lease& lease) override {
    std::lock_guard lock(mu_);
    auto it = leases_.find(name);
    if (it != leases_.end() && it->second.lease.holder == lease.holder && it->second.lease.epoch == lease.epoch) leases_.erase(it);
    return Status::Ok();
  }

 private:
  struct Held {
    Lease lease;
    MonoTime expires;
  };
  struct LogRecord {
    std::string id, record;
    std::vector<std::string> indexes;
    std::optional<long long> time;
  };
  struct Log {
    long long next = 0;                     // the last number given
    std::map<long long, LogRecord> records;  // by number
    std::map<std::string, std::set<long long>, std::less<>> indexes;
    std::set<std::pair<long long, long long>> times;  // (time, number)
  };
  // Under mu_: the group's new records; how many.
  long long ApplyGroup(const AppendGroup& g) {
    auto& seen = sets_[g.seen_key];
    long long appended = 0;
    for (size_t k = 0; k < g.items.size(); ++k) {
      const auto& [member, record] = g.items[k];
      if (!seen.insert(member).second) continue;
      ++appended;
      if (!g.log) {
        std::string& data = strings_[g.data_key];
        if (data.empty())
          for (const auto& [set, listed] : g.listed_in) sets_[set].insert(listed);
        data += record;
        continue;
      }
      Log& l = logs_[g.data_key];
      const long long seq = ++l.next;
      LogRecord rec{member, record, k < g.indexes.size() ? g.indexes[k] : std::vector<std::string>{}, std::nullopt};
      if (k < g.times.size()) {
        rec.time = g.times[k];
        l.times.insert({g.times[k], seq});
      }
      for (const auto& name : rec.indexes) l.indexes[name].insert(seq);
      l.records.emplace(seq, std::move(rec));
    }
    return appended;
  }
  long long LatestEpoch(std::string_view lease) const {
    auto it = epochs_.find(lease);
    return it == epochs_.end() ? 0 : it->second;
  }

  SystemClock system_clock_;
  const Clock* clock_;
  std::map<std::string, Versioned, std::less<>> records_;
  std::map<std::string, Held, std::less<>> leases_;
  std::map<std::string, long long, std::less<>> epochs_;
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> strings_;
  std::map<std::string, std::set<std::string>, std::less<>> sets_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> indexes_;  // sorted indexes (IndexAdd)
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> hashes_;
  std::map<std::string, long long, std::less<>> counters_;
  std::map<std::string, Log, std::less<>> logs_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(const Clock* clock) { return std::make_unique<MemoryStore>(clock); }

}  // namespace icb
