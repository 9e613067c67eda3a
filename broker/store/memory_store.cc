#include <map>
#include <mutex>
#include <set>

#include "broker/store/store.h"

namespace icb {
namespace {

class MemoryStore final : public Store {
 public:
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
        case WriteOp::Kind::kIncr:
          results.push_back(++counters_[op.key]);
          break;
      }
    }
    return results;
  }

  Result<long long> AppendUnique(const std::vector<AppendGroup>& groups,
                                 const std::vector<std::pair<std::string, std::string>>& set_adds) override {
    std::lock_guard lock(mu_);
    long long appended = 0;
    for (const auto& g : groups) {
      auto& seen = sets_[g.seen_key];
      for (const auto& [member, record] : g.items) {
        if (!seen.insert(member).second) continue;
        strings_[g.data_key] += record;
        ++appended;
      }
    }
    for (const auto& [set, member] : set_adds) sets_[set].insert(member);
    return appended;
  }

  Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto it = strings_.find(k);
      out.push_back(it == strings_.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }

  Result<std::vector<std::string>> SetMembers(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = sets_.find(key);
    if (it == sets_.end()) return std::vector<std::string>();
    return std::vector<std::string>(it->second.begin(), it->second.end());
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> strings_;
  std::map<std::string, std::set<std::string>, std::less<>> sets_;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> hashes_;
  std::map<std::string, long long, std::less<>> counters_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace icb
