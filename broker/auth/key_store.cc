#include "broker/auth/key_store.h"

#include <utility>

#include "broker/auth/api_key_token.h"
#include "broker/core/crypto.h"
#include "broker/core/ids.h"
#include "broker/core/time.h"
#include "broker/core/utf8.h"

namespace icb {
namespace {

constexpr std::string_view kHashingKeyField = "key_hmac";
constexpr size_t kHashingKeyBytes = 32;
// Checks remembered at once: beyond it the memory is cleared (at worst,
// each key is read again once).
constexpr size_t kMaxCached = 10000;

std::string Digest(std::string_view hashing_key, std::string_view token) { return Hex(HmacSha256(hashing_key, token)); }

std::string RecordText(const ApiKey& key, const std::string& digest) {
  nlohmann::json j = ApiKeyJson(key);
  j["digest"] = digest;
  return j.dump();
}

Result<std::pair<ApiKey, std::string>> ParseRecordText(std::string_view id, const std::string& text) {
  const auto corrupt = [&](const char* why) { return Internal("API key " + std::string(id) + ": stored record is corrupt (" + why + ")"); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not a JSON object");
  ApiKey key;
  std::string digest;
  try {
    key.id = j.at("id").get<std::string>();
    key.tenant = j.at("tenant").get<std::string>();
    key.name = j.value("name", "");
    auto role = ParseRole(j.at("role").get<std::string>());
    if (!role) return corrupt("unknown role");
    key.role = *role;
    auto created = ParseRfc3339(j.at("created_at").get<std::string>());
    if (!created) return corrupt("created_at");
    key.created_at = *created;
    if (j.contains("revoked_at") && !j["revoked_at"].is_null()) {
      auto revoked = ParseRfc3339(j["revoked_at"].get<std::string>());
      if (!revoked) return corrupt("revoked_at");
      key.revoked_at = *revoked;
    }
    digest = j.at("digest").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return corrupt("a field is missing or of the wrong type");
  }
  if (key.id != id) return corrupt("id");
  return std::make_pair(std::move(key), std::move(digest));
}

Status Refused() { return Unauthenticated("a valid API key is required (Authorization: Bearer icb_...)"); }

}  // namespace

nlohmann::json ApiKeyJson(const ApiKey& key) {
  return {{"id", key.id},
          {"tenant", key.tenant},
          {"role", std::string(RoleName(key.role))},
          {"name", key.name},
          {"created_at", FormatRfc3339(key.created_at)},
          {"revoked_at", key.revoked_at ? nlohmann::json(FormatRfc3339(*key.revoked_at)) : nlohmann::json(nullptr)}};
}

KeyStore::KeyStore(Store& store, const Clock& clock, std::chrono::milliseconds cache_ttl)
    : store_(store), clock_(clock), cache_ttl_(cache_ttl) {}

Result<std::string> KeyStore::HashingKey() {
  {
    std::lock_guard lock(mu_);
    if (!hashing_key_.empty()) return hashing_key_;
  }
  // The first broker to need one makes it; every other one (and every
  // later start) reads the one that was kept.
  WriteBatch make;
  make.HashSetIfAbsent(std::string(kAuthKey), std::string(kHashingKeyField), Base64(CryptoRandomBytes(kHashingKeyBytes)));
  ICB_RETURN_IF_ERROR(store_.Apply(make).status());
  ICB_ASSIGN_OR_RETURN(auto stored, store_.HashGet(kAuthKey, kHashingKeyField));
  std::string raw;
  if (!stored || !Base64Decode(*stored, raw) || raw.size() != kHashingKeyBytes) return Internal("the stored API key hashing key is corrupt");
  std::lock_guard lock(mu_);
  hashing_key_ = raw;
  return raw;
}

Result<std::optional<std::pair<ApiKey, std::string>>> KeyStore::Read(std::string_view id) {
  ICB_ASSIGN_OR_RETURN(auto text, store_.HashGet(kApiKeysKey, id));
  if (!text) return std::optional<std::pair<ApiKey, std::string>>();
  ICB_ASSIGN_OR_RETURN(auto record, ParseRecordText(id, *text));
  return std::optional<std::pair<ApiKey, std::string>>(std::move(record));
}

Result<CreatedApiKey> KeyStore::Create(const std::string& tenant, Role role, const std::string& name) {
  if (!IsValidId(tenant)) return InvalidArgument("tenant must be an id", {{"/tenant", "1-64 characters of [a-z0-9._-], starting with a letter or digit"}});
  if (name.size() > kMaxApiKeyNameChars || !IsValidUtf8(name))
    return InvalidArgument("name too long", {{"/name", "at most " + std::to_string(kMaxApiKeyNameChars) + " bytes of UTF-8"}});
  ICB_ASSIGN_OR_RETURN(std::string hashing_key, HashingKey());
  for (int attempt = 0; attempt < 5; ++attempt) {
    CreatedApiKey made;
    made.key = {NewApiKeyId(), tenant, name, role, clock_.Now(), std::nullopt};
    made.secret = NewApiKeyToken(made.key.id);
    WriteBatch batch;
    batch.HashSetIfAbsent(std::string(kApiKeysKey), made.key.id, RecordText(made.key, Digest(hashing_key, made.secret)));
    batch.IndexAdd(std::string(kApiKeyIdsKey), made.key.id);
    ICB_ASSIGN_OR_RETURN(auto results, store_.Apply(batch));
    if (!results.empty() && results[0] == 1) return made;
    // 36^12 ids: a collision is all but impossible; if one happens, the
    // other key stands and this one takes another id.
  }
  return Internal("could not find a free API key id");
}

Result<ApiKeyPage> KeyStore::List(std::string_view after, size_t limit) {
  ICB_ASSIGN_OR_RETURN(auto ids, store_.IndexRange(kApiKeyIdsKey, after, limit + 1));
  IdPage page = PageOfOneMore(std::move(ids), limit);
  ApiKeyPage out;
  out.next = page.next;
  if (page.ids.empty()) return out;
  ICB_ASSIGN_OR_RETURN(auto texts, store_.HashGetMany(kApiKeysKey, page.ids));
  for (size_t i = 0; i < page.ids.size(); ++i) {
    if (!texts[i]) continue;  // removed meanwhile
    ICB_ASSIGN_OR_RETURN(auto record, ParseRecordText(page.ids[i], *texts[i]));
    out.keys.push_back(std::move(record.first));
  }
  return out;
}

Result<ApiKey> KeyStore::Get(std::string_view id) {
  if (!IsApiKeyId(id)) return NotFound("no API key " + std::string(id));
  ICB_ASSIGN_OR_RETURN(auto record, Read(id));
  if (!record) return NotFound("no API key " + std::string(id));
  return std::move(record->first);
}

Result<ApiKey> KeyStore::Revoke(std::string_view id) {
  if (!IsApiKeyId(id)) return NotFound("no API key " + std::string(id));
  ICB_ASSIGN_OR_RETURN(auto record, Read(id));
  if (!record) return NotFound("no API key " + std::string(id));
  auto& [key, digest] = *record;
  if (key.revoked_at) return key;
  key.revoked_at = clock_.Now();
  // Written whole over the record: a concurrent revoke writes the same
  // thing but for its time, and the key is revoked either way.
  WriteBatch batch;
  batch.HashSet(std::string(kApiKeysKey), key.id, RecordText(key, digest));
  ICB_RETURN_IF_ERROR(store_.Apply(batch).status());
  std::lock_guard lock(mu_);
  cache_.erase(key.id);
  return key;
}

Result<Caller> KeyStore::Authenticate(std::string_view token) {
  auto id = ApiKeyIdOf(token);
  if (!id.ok()) return Refused();
  ICB_ASSIGN_OR_RETURN(std::string hashing_key, HashingKey());
  const std::string digest = Digest(hashing_key, token);
  const MonoTime now = clock_.Monotonic();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(*id);
    if (it != cache_.end() && it->second.until > now) {
      if (it->second.caller && ConstantTimeEqual(it->second.digest, digest)) return *it->second.caller;
      return Refused();
    }
  }
  ICB_ASSIGN_OR_RETURN(auto record, Read(*id));
  Cached entry{now + cache_ttl_, "", std::nullopt};
  if (record && !record->first.revoked_at) {
    entry.digest = record->second;
    entry.caller = Caller{record->first.id, record->first.tenant, record->first.role};
  }
  const bool live = entry.caller && ConstantTimeEqual(entry.digest, digest);
  std::optional<Caller> caller = live ? entry.caller : std::nullopt;
  {
    std::lock_guard lock(mu_);
    if (cache_.size() >= kMaxCached) cache_.clear();
    cache_[*id] = std::move(entry);
  }
  if (!caller) return Refused();
  return *caller;
}

}  // namespace icb
