#include "broker/auth/credential_store.h"

#include <gtest/gtest.h>

#include "broker/core/time.h"
#include "tests/support/fakes/store_wrapper.h"

namespace icb {
namespace {

using nlohmann::json;

const std::string kK1 = "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
const std::string kK2 = "k2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n";

class CredentialStoreTest : public ::testing::Test {
 protected:
  SecretKeyRing Ring(const std::string& text) { return *SecretKeyRing::FromText(text); }
  // Every byte the store holds for credentials.
  std::string StoredBytes() {
    std::string all;
    const auto records = store_->HashGetAll(kCredentialsKey);
  for (const auto& [name, record] : *records) all += name + "=" + record + "\n";
    return all;
  }
  ManualClock clock_{*ParseRfc3339("2026-12-05T10:00:00Z")};
  std::unique_ptr<Store> store_ = NewMemoryStore(&clock_);
};

TEST_F(CredentialStoreTest, StoresNamesAndFieldNamesInTheClearAndValuesOnlySealed) {
  SecretKeyRing ring = Ring(kK1);
  CredentialStore creds(*store_, ring, clock_);
  auto put = creds.Put("lab-s3", {{"access_key", "AKIAEXAMPLEACCESS"}, {"secret_key", "wJalrXUtnFEMI/K7MDENG"}, {"port", 9000}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->fields, (std::vector<std::string>{"access_key", "port", "secret_key"}));
  EXPECT_EQ(put->key_id, "k1");
  const std::string stored = StoredBytes();
  EXPECT_NE(stored.find("secret_key"), std::string::npos);
  EXPECT_EQ(stored.find("AKIAEXAMPLEACCESS"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("wJalrXUtnFEMI"), std::string::npos) << stored;
  // What a route shows: never a value.
  const std::string shown = CredentialInfoJson(*put).dump();
  EXPECT_EQ(shown.find("wJalrXUtnFEMI"), std::string::npos);
  EXPECT_EQ(CredentialInfoJson(*put)["updated_at"], "2026-12-05T10:00:00Z");
  auto opened = creds.Open("lab-s3");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)["secret_key"], "wJalrXUtnFEMI/K7MDENG");
  EXPECT_EQ((*opened)["port"], 9000);
  // Replaced whole; listed by name; deleted once.
  ASSERT_TRUE(creds.Put("lab-s3", {{"secret_key", "second"}}).ok());
  ASSERT_TRUE(creds.Put("azure", {{"account_key", "k"}}).ok());
  EXPECT_EQ(*creds.Open("lab-s3"), json({{"secret_key", "second"}}));
  auto list = creds.List();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "azure");
  EXPECT_EQ((*list)[1].fields, std::vector<std::string>{"secret_key"});
  EXPECT_TRUE(*creds.Delete("azure"));
  EXPECT_FALSE(*creds.Delete("azure"));
  EXPECT_FALSE(creds.Get("azure")->has_value());
  EXPECT_EQ(creds.Open("azure").status().code(), StatusCode::kNotFound);
}

TEST_F(CredentialStoreTest, ARecordMovedToAnotherNameDoesNotOpen) {
  SecretKeyRing ring = Ring(kK1);
  CredentialStore creds(*store_, ring, clock_);
  ASSERT_TRUE(creds.Put("a", {{"secret_key", "of a"}}).ok());
  WriteBatch copy;
  copy.HashSet(std::string(kCredentialsKey), "b", **store_->HashGet(kCredentialsKey, "a"));
  ASSERT_TRUE(store_->Apply(copy).ok());
  auto moved = creds.Open("b");
  EXPECT_EQ(moved.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(moved.status().message().find("of a"), std::string::npos);
}

TEST_F(CredentialStoreTest, RotationResealsWithTheNewKeyThenTheOldOneCanGo) {
  SecretKeyRing old_ring = Ring(kK1);
  ASSERT_TRUE(CredentialStore(*store_, old_ring, clock_).Put("lab-s3", {{"secret_key", "v1"}}).ok());
  ASSERT_TRUE(CredentialStore(*store_, old_ring, clock_).Put("azure", {{"account_key", "v2"}}).ok());
  // Step 1: the new key first, the old kept; every credential resealed.
  SecretKeyRing both = Ring(kK2 + kK1);
  CredentialStore rotating(*store_, both, clock_);
  EXPECT_EQ(rotating.Reseal()->resealed, 2u);
  EXPECT_EQ(rotating.Reseal()->resealed, 0u);  // nothing left on the old key
  const auto listed = rotating.List();  // named: a loop over a temporary's member would dangle
  ASSERT_TRUE(listed.ok());
  for (const auto& info : *listed) EXPECT_EQ(info.key_id, "k2") << info.name;
  // Step 2: the old key dropped: everything opens with the new one alone.
  SecretKeyRing new_ring = Ring(kK2);
  CredentialStore after(*store_, new_ring, clock_);
  EXPECT_EQ((*after.Open("lab-s3"))["secret_key"], "v1");
  EXPECT_EQ((*after.Open("azure"))["account_key"], "v2");
  // Dropping a key still in use: named, and Reseal leaves it as it is.
  ASSERT_TRUE(CredentialStore(*store_, old_ring, clock_).Put("late", {{"secret_key", "v3"}}).ok());
  auto lost = after.Open("late");
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lost.status().message().find("key k1"), std::string::npos) << lost.status().message();
  ASSERT_TRUE(CredentialStore(*store_, new_ring, clock_).Put("fresh", {{"secret_key", "v4"}}).ok());
  auto stuck = after.Reseal();
  ASSERT_TRUE(stuck.ok()) << stuck.status().ToString();
  EXPECT_EQ(stuck->resealed, 0u);
  ASSERT_EQ(stuck->unopened.size(), 1u);
  EXPECT_EQ(stuck->unopened[0].rfind("late: ", 0), 0u) << stuck->unopened[0];
  EXPECT_NE(stuck->unopened[0].find("k1"), std::string::npos) << stuck->unopened[0];
  EXPECT_EQ((*after.Open("fresh"))["secret_key"], "v4");
}

// A put landing between a reseal's read and its write (another replica's
// admin, at this broker's start) is newer: the reseal leaves it.
TEST_F(CredentialStoreTest, AResealNeverOverwritesAPutThatCameInBetween) {
  SecretKeyRing old_ring = Ring(kK1), both = Ring(kK2 + kK1);
  ASSERT_TRUE(CredentialStore(*store_, old_ring, clock_).Put("lab-s3", {{"secret_key", "old"}}).ok());
  class PutAfterRead : public StoreWrapper {
   public:
    PutAfterRead(Store& target, std::function<void()> between) : StoreWrapper(target), between_(std::move(between)) {}
    Result<std::optional<std::string>> HashGet(std::string_view k, std::string_view f) override {
      auto read = StoreWrapper::HashGet(k, f);
      if (between_) std::exchange(between_, nullptr)();
      return read;
    }

   private:
    std::function<void()> between_;
  } racing(*store_, [&] { ASSERT_TRUE(CredentialStore(*store_, both, clock_).Put("lab-s3", {{"secret_key", "new"}}).ok()); });
  auto resealed = CredentialStore(racing, both, clock_).Reseal();
  ASSERT_TRUE(resealed.ok()) << resealed.status().ToString();
  EXPECT_EQ(resealed->resealed, 0u);
  EXPECT_EQ((*CredentialStore(*store_, both, clock_).Open("lab-s3"))["secret_key"], "new");
}

TEST_F(CredentialStoreTest, BadFieldsAreRefusedAtTheirPointerWithoutTheirValue) {
  SecretKeyRing ring = Ring(kK1);
  CredentialStore creds(*store_, ring, clock_);
  struct Case {
    std::string name;
    json fields;
    std::string pointer;
  };
  json too_many = json::object();
  for (int i = 0; i < 33; ++i) too_many["f" + std::to_string(i)] = "v";
  // Each value within 8 KiB, five of them over 32 KiB: sealed, more than
  // the broker would open again.
  json too_large = json::object();
  for (int i = 0; i < 5; ++i) too_large["f" + std::to_string(i)] = std::string(8000, 'h');
  for (const Case& c : std::vector<Case>{{"Bad Name", {{"k", "v"}}, "/name"},
                                         {"ok", json::array({"hunter2"}), ""},
                                         {"ok", json::object(), ""},
                                         {"ok", too_many, ""},
                                         {"ok", {{"k", json::array({"hunter2"})}}, "/k"},
                                         {"ok", {{"k", std::string(8193, 'h')}}, "/k"},
                                         {"ok", {{"a/b", "hunter2"}}, ""},
                                         {"ok", too_large, ""}}) {
    auto r = creds.Put(c.name, c.fields);
    ASSERT_FALSE(r.ok()) << c.fields.dump().substr(0, 80);
    ASSERT_FALSE(r.status().errors().empty());
    EXPECT_EQ(r.status().errors()[0].pointer, c.pointer);
    EXPECT_EQ(r.status().ToString().find("hunter2"), std::string::npos) << r.status().ToString();
    EXPECT_EQ(r.status().ToString().find("hhhhhhhh"), std::string::npos);
  }
  EXPECT_TRUE(creds.List()->empty());  // nothing stored
}

TEST_F(CredentialStoreTest, TheLargestCredentialTakenOpensAgain) {
  SecretKeyRing ring = Ring(kK1);
  CredentialStore creds(*store_, ring, clock_);
  // Three values of 8 KiB and one that brings the JSON to the limit exactly.
  json fields = json::object();
  for (int i = 0; i < 3; ++i) fields["f" + std::to_string(i)] = std::string(kMaxCredentialValueBytes, 'v');
  fields["g"] = "";
  const size_t room = SecretKeyRing::kMaxPlaintextBytes - fields.dump().size();
  fields["g"] = std::string(room, 'w');
  ASSERT_EQ(fields.dump().size(), SecretKeyRing::kMaxPlaintextBytes);
  ASSERT_TRUE(creds.Put("big", fields).ok());
  auto opened = creds.Open("big");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, fields);
  // One byte more is refused.
  fields["g"] = std::string(room + 1, 'w');
  EXPECT_FALSE(creds.Put("bigger", fields).ok());
}

}  // namespace
}  // namespace icb
