#include "broker/auth/key_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "broker/auth/api_key_token.h"
#include "broker/core/time.h"
#include "tests/support/fakes/store_wrapper.h"

namespace icb {
namespace {

// Counts hash reads (what a check costs the store) and can be made away.
class CountingStore final : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Result<std::optional<std::string>> HashGet(std::string_view k, std::string_view f) override {
    ++reads;
    if (away) return Unavailable("store away");
    return StoreWrapper::HashGet(k, f);
  }
  Result<std::vector<long long>> Apply(const WriteBatch& b) override {
    if (away) return Unavailable("store away");
    return StoreWrapper::Apply(b);
  }
  std::atomic<int> reads{0};
  std::atomic<bool> away{false};
};

class KeyStoreTest : public ::testing::Test {
 protected:
  KeyStoreTest() : clock_(*ParseRfc3339("2026-12-05T00:00:00Z")), memory_(NewMemoryStore(&clock_)), store_(*memory_), keys_(store_, clock_) {}
  ManualClock clock_;
  std::unique_ptr<Store> memory_;
  CountingStore store_;
  KeyStore keys_;
};

TEST_F(KeyStoreTest, AKeyAuthenticatesAsItsTenantAndRole) {
  auto made = keys_.Create("acme", Role::kOperator, "failover automation");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->key.tenant, "acme");
  EXPECT_EQ(made->key.name, "failover automation");
  EXPECT_EQ(FormatRfc3339(made->key.created_at), "2026-12-05T00:00:00Z");
  auto caller = keys_.Authenticate(made->secret);
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->key_id, made->key.id);
  EXPECT_EQ(caller->tenant, "acme");
  EXPECT_EQ(caller->role, Role::kOperator);
}

TEST_F(KeyStoreTest, OnlyAKeyedHashOfTheSecretIsStored) {
  auto made = keys_.Create("acme", Role::kAdmin, "");
  ASSERT_TRUE(made.ok());
  auto all = memory_->HashGetAll(kApiKeysKey);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const std::string& record = (*all)[0].second;
  EXPECT_EQ(record.find(made->secret), std::string::npos);
  EXPECT_EQ(record.find(made->secret.substr(17, kApiKeySecretChars)), std::string::npos);
  // ... and what is shown of a key carries neither.
  auto shown = ApiKeyJson(made->key).dump();
  EXPECT_EQ(shown.find(made->secret.substr(17, kApiKeySecretChars)), std::string::npos);
  EXPECT_EQ(shown.find("digest"), std::string::npos);
}

TEST_F(KeyStoreTest, EveryWrongKeyGetsTheSameRefusal) {
  auto made = keys_.Create("acme", Role::kReader, "");
  ASSERT_TRUE(made.ok());
  // Another live key's id with this one's secret part cannot pass its check;
  // a right-shaped text with a fresh secret for a live id fails the hash.
  const std::string wrong_secret = NewApiKeyToken(made->key.id);
  const std::string unknown = NewApiKeyToken(NewApiKeyId());
  std::string messages;
  for (const std::string& bad : {std::string(), std::string("Bearer"), wrong_secret, unknown, made->secret + " "}) {
    auto r = keys_.Authenticate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    if (messages.empty()) messages = r.status().message();
    EXPECT_EQ(r.status().message(), messages);
  }
  EXPECT_TRUE(keys_.Authenticate(made->secret).ok());
}

TEST_F(KeyStoreTest, ChecksAreCachedForASecondAndRevokingEndsThem) {
  auto made = keys_.Create("acme", Role::kOperator, "");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(keys_.Authenticate(made->secret).ok());
  const int reads = store_.reads;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(keys_.Authenticate(made->secret).ok());
  EXPECT_EQ(store_.reads, reads);  // from the cache
  clock_.Advance(Millis(1001));
  ASSERT_TRUE(keys_.Authenticate(made->secret).ok());
  EXPECT_EQ(store_.reads, reads + 1);

  // Revoked through this store: refused at once.
  auto revoked = keys_.Revoke(made->key.id);
  ASSERT_TRUE(revoked.ok());
  ASSERT_TRUE(revoked->revoked_at);
  EXPECT_EQ(keys_.Authenticate(made->secret).status().code(), StatusCode::kUnauthenticated);
  // Revoking again answers the key as it is.
  auto again = keys_.Revoke(made->key.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->revoked_at, *revoked->revoked_at);
}

TEST_F(KeyStoreTest, AnotherReplicaSeesARevocationWithinTheCacheTime) {
  KeyStore replica(store_, clock_);
  auto made = keys_.Create("acme", Role::kOperator, "");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(replica.Authenticate(made->secret).ok());
  ASSERT_TRUE(keys_.Revoke(made->key.id).ok());
  clock_.Advance(Millis(1001));
  EXPECT_EQ(replica.Authenticate(made->secret).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(KeyStoreTest, ListsPageByIdAndShowRevokedKeys) {
  std::set<std::string> made;
  for (int i = 0; i < 5; ++i) {
    auto k = keys_.Create("t" + std::to_string(i), i % 2 ? Role::kAdmin : Role::kReader, "key " + std::to_string(i));
    ASSERT_TRUE(k.ok());
    made.insert(k->key.id);
  }
  ASSERT_TRUE(keys_.Revoke(*made.begin()).ok());
  std::vector<std::string> listed;
  std::string after;
  int pages = 0;
  while (true) {
    auto page = keys_.List(after, 2);
    ASSERT_TRUE(page.ok());
    ++pages;
    for (const auto& k : page->keys) listed.push_back(k.id);
    if (!page->next) break;
    after = *page->next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), made);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  auto first = keys_.Get(*made.begin());
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->revoked_at);
}

TEST_F(KeyStoreTest, BadTenantsNamesAndIdsAreRefusedAndChangeNothing) {
  EXPECT_EQ(keys_.Create("", Role::kReader, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys_.Create("Acme", Role::kReader, "").status().code(), StatusCode::kInvalidArgument);
  auto long_name = keys_.Create("acme", Role::kReader, std::string(kMaxApiKeyNameChars + 1, 'x'));
  ASSERT_EQ(long_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(long_name.status().errors().at(0).pointer, "/name");
  EXPECT_EQ(keys_.Create("acme", Role::kReader, "\xff").status().code(), StatusCode::kInvalidArgument);
  auto all = memory_->HashGetAll(kApiKeysKey);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  for (const char* id : {"", "nope", "ABCDEFGHIJKL", "abcdefghijkl"}) {
    EXPECT_EQ(keys_.Get(id).status().code(), StatusCode::kNotFound) << id;
    EXPECT_EQ(keys_.Revoke(id).status().code(), StatusCode::kNotFound) << id;
  }
}

TEST_F(KeyStoreTest, TheHashingKeyIsMadeOnceAndSharedByEveryBroker) {
  auto made = keys_.Create("acme", Role::kReader, "");
  ASSERT_TRUE(made.ok());
  KeyStore restarted(store_, clock_);
  EXPECT_TRUE(restarted.Authenticate(made->secret).ok());
  auto hashing = memory_->HashGetAll(kAuthKey);
  ASSERT_TRUE(hashing.ok());
  EXPECT_EQ(hashing->size(), 1u);
}

TEST_F(KeyStoreTest, AStoreAwayIsUnavailableNotARefusal) {
  auto made = keys_.Create("acme", Role::kReader, "");
  ASSERT_TRUE(made.ok());
  KeyStore cold(store_, clock_);  // has read nothing yet
  store_.away = true;
  EXPECT_EQ(cold.Authenticate(made->secret).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(cold.Create("acme", Role::kReader, "").status().code(), StatusCode::kUnavailable);
  store_.away = false;
  EXPECT_TRUE(cold.Authenticate(made->secret).ok());
}

}  // namespace
}  // namespace icb
