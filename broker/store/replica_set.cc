#include "broker/store/replica_set.h"

#include <algorithm>
#include <cstdio>

namespace icb {

namespace {

constexpr const char* kReplicasKey = "icb:replicas";

long long Ms(TimePoint t) { return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count(); }

// 64-bit FNV-1a, then a finalizer (murmur3's) so that ids differing in their
// last byte spread over the whole range: the same on every broker and build.
uint64_t Hash(std::string_view a, std::string_view b) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(std::string_view("\n", 1));
  mix(b);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

ReplicaSet::ReplicaSet(Store& store, const Clock& clock, ReplicaSetOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

namespace {

bool ParseEntry(const std::string& value, long long& joined_ms, long long& expires_ms, std::string& vantage) {
  int used = 0;
  if (std::sscanf(value.c_str(), "%lld %lld %n", &joined_ms, &expires_ms, &used) != 2) return false;
  vantage = value.substr(static_cast<size_t>(used));
  return true;
}

}  // namespace

Status ReplicaSet::Beat() {
  const long long now = Ms(clock_.Now());
  // Restarted under the same id before its entry expired: still settled,
  // its share stays with it.
  if (joined_ms_ == 0) {
    ICB_ASSIGN_OR_RETURN(auto before, store_.HashGet(kReplicasKey, options_.self));
    Entry old;
    joined_ms_ = before && ParseEntry(*before, old.joined_ms, old.expires_ms, old.vantage) && old.expires_ms > now ? old.joined_ms : now;
  }
  // Written before the others are read: of two brokers beating at the same
  // moment, the later reader sees both entries (read first, each could
  // miss the other and both take every key until their next beat).
  const Entry self{joined_ms_, now + options_.expiry.count(), options_.vantage};
  WriteBatch renew;
  renew.HashSet(kReplicasKey, options_.self, std::to_string(self.joined_ms) + " " + std::to_string(self.expires_ms) + " " + self.vantage);
  ICB_RETURN_IF_ERROR(store_.Apply(renew).status());
  ICB_ASSIGN_OR_RETURN(auto all, store_.HashGetAll(kReplicasKey));
  std::map<std::string, Entry> entries;
  WriteBatch forget;
  for (const auto& [id, value] : all) {
    Entry e;
    if (!ParseEntry(value, e.joined_ms, e.expires_ms, e.vantage)) continue;
    if (e.expires_ms + 10 * options_.expiry.count() < now) {
      forget.HashDelete(kReplicasKey, id);
      continue;
    }
    entries.emplace(id, e);
  }
  entries[options_.self] = self;
  if (!forget.ops().empty()) (void)store_.Apply(forget);  // tidying: the next beat tries again
  std::lock_guard lock(mu_);
  entries_ = std::move(entries);
  beaten_ = true;
  return Status::Ok();
}

Status ReplicaSet::Leave() {
  WriteBatch leave;
  leave.HashDelete(kReplicasKey, options_.self);
  return store_.Apply(leave).status();
}

std::vector<std::string> ReplicaSet::Owners() const {
  const long long now = Ms(clock_.Now());
  std::vector<std::string> settled, live;
  std::lock_guard lock(mu_);
  if (!beaten_) return {options_.self};  // before the first beat: alone as far as it knows
  for (const auto& [id, e] : entries_) {
    if (e.expires_ms <= now || e.vantage != options_.vantage) continue;
    live.push_back(id);
    if (e.joined_ms + options_.settle.count() <= now) settled.push_back(id);
  }
  if (!settled.empty()) return settled;  // sorted: from the map
  // All newcomers (a first start, or every broker restarted at once): the
  // one that joined first owns every key until others settle, rather than
  // no one probing, or each taking a share before the others have read its
  // entry (they read only every beat) and some keys probed twice meanwhile.
  // (Two first beats interleaved so that the one that read the set before
  // the other wrote also has the later join time would both own
  // everything until the next beat: a window of milliseconds, once.)
  if (live.empty()) return live;
  std::string first;
  long long first_joined = 0;
  for (const auto& id : live) {
    const long long joined = entries_.at(id).joined_ms;
    if (first.empty() || joined < first_joined) {
      first = id;
      first_joined = joined;
    }
  }
  return {first};
}

bool ReplicaSet::Owns(std::string_view key) const { return OwnerOf(key, Owners()) == options_.self; }

std::string ReplicaSet::OwnerOf(std::string_view key, const std::vector<std::string>& owners) {
  const std::string* best = nullptr;
  uint64_t best_hash = 0;
  for (const auto& id : owners) {
    const uint64_t h = Hash(id, key);
    if (!best || h > best_hash || (h == best_hash && id < *best)) {
      best = &id;
      best_hash = h;
    }
  }
  return best ? *best : std::string();
}

}  // namespace icb
