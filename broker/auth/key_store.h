// API keys: made, listed, revoked and checked against the store. Each key
// is kept as a record by its public id (its tenant, role, name, times) with
// a keyed hash of its text (HMAC-SHA256 under a key of the broker's own,
// made once and kept in the store), never the text: whoever reads the
// store can list the keys, not use them. A check hashes the presented text
// and compares in constant time; what a key may do is cached for
// `cache_ttl`, so revoking takes effect within it on every replica.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/access.h"
#include "broker/core/clock.h"
#include "broker/core/paging.h"
#include "broker/core/status.h"
#include "broker/store/store.h"

namespace icb {

inline constexpr std::string_view kApiKeysKey = "icb:auth:keys";        // hash: id -> record
inline constexpr std::string_view kApiKeyIdsKey = "icb:auth:keys:ids";  // sorted index of ids
inline constexpr std::string_view kAuthKey = "icb:auth";                // hash: the broker's hashing key
inline constexpr size_t kMaxApiKeyNameChars = 200;

struct ApiKey {
  std::string id, tenant, name;
  Role role = Role::kReader;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
};

// What routes and the CLI show of a key: never its text or its hash.
nlohmann::json ApiKeyJson(const ApiKey& key);

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // the whole text the client presents; shown once
};

struct ApiKeyPage {
  std::vector<ApiKey> keys;
  std::optional<std::string> next;
};

class KeyStore {
 public:
  KeyStore(Store& store, const Clock& clock, std::chrono::milliseconds cache_ttl = std::chrono::seconds(1));

  // `tenant` an id (core/ids.h), `name` at most kMaxApiKeyNameChars.
  Result<CreatedApiKey> Create(const std::string& tenant, Role role, const std::string& name);
  Result<ApiKeyPage> List(std::string_view after, size_t limit);
  // NotFound when there is no such key.
  Result<ApiKey> Get(std::string_view id);
  // Revoked from now on (within the cache time on other replicas); revoking
  // a revoked key answers it as it is.
  Result<ApiKey> Revoke(std::string_view id);
  // The caller a key's text names: Unauthenticated for anything but a live
  // key (malformed, unknown, wrong secret, revoked: one answer for all);
  // Unavailable when the store is.
  Result<Caller> Authenticate(std::string_view token);

 private:
  Result<std::string> HashingKey();
  Result<std::optional<std::pair<ApiKey, std::string>>> Read(std::string_view id);  // the record and its digest

  struct Cached {
    MonoTime until;
    std::string digest;            // "" when the id names no live key
    std::optional<Caller> caller;  // when it does
  };
  Store& store_;
  const Clock& clock_;
  std::chrono::milliseconds cache_ttl_;
  std::mutex mu_;
  std::string hashing_key_;             // once read
  std::map<std::string, Cached> cache_;  // by key id; bounded (kMaxCached)
};

}  // namespace icb
