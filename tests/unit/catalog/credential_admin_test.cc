// Credentials as admins manage them: the file's shown beside the store's,
// a name in one place, and no change that would leave a provider's adapter
// without what it needs. No answer or error holds a value.
#include "broker/catalog/credential_admin.h"

#include <gtest/gtest.h>

#include "broker/core/time.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;

const char* kFileSecret = "file-secret-3e9d0c-never-shown";
const char* kStoreSecret = "store-secret-8a41f2-never-shown";
const std::string kRing = "k1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

class CredentialAdminTest : public ::testing::Test {
 protected:
  CredentialAdminTest()
      : schemas_(*SchemaSet::LoadEmbedded()),
        registry_(*schemas_),
        file_(*Credentials::FromJson({{"from-file", {{"access_key", "AK-file"}, {"secret_key", kFileSecret}}}})),
        ring_(*SecretKeyRing::FromText(kRing)),
        store_(NewMemoryStore(&clock_)),
        kept_(*store_, ring_, clock_),
        in_use_(&file_, &kept_),
        catalog_(*store_, schemas_, {nullptr, Millis(0), [this](const json& doc) { return CheckAdapterRefs(registry_, *schemas_, &in_use_, doc); }}),
        admin_(catalog_, registry_, *schemas_, in_use_) {
    RegisterBuiltinAdapters(registry_);
  }

  // A provider whose object storage adapter (s3) names `credentials`.
  Status PutProvider(const std::string& id, const std::string& credentials) {
    json doc = testing::ProviderDoc(id);
    doc["adapters"] = {{"object_storage", {{"adapter", "s3"}, {"credentials", credentials},
                                           {"config", {{"endpoint", "http://127.0.0.1:9000"}, {"bucket", "lab-data"}}}}}};
    auto r = catalog_.PutProvider(id, doc);
    return r.ok() ? Status::Ok() : r.status();
  }
  // Everything a caller could see of a refusal, searched for the values.
  template <typename T>
  void ExpectNoValue(const Result<T>& r) {
    ASSERT_FALSE(r.ok());
    std::string seen = r.status().ToString();
    for (const auto& e : r.status().errors()) seen += e.pointer + " " + e.message;
    for (const char* secret : {kFileSecret, kStoreSecret, "AK-file", "AK-store"}) EXPECT_EQ(seen.find(secret), std::string::npos) << seen;
  }

  ManualClock clock_{*ParseRfc3339("2026-12-05T10:00:00Z")};
  std::shared_ptr<const SchemaSet> schemas_;
  AdapterRegistry registry_;
  Credentials file_;
  SecretKeyRing ring_;
  std::unique_ptr<Store> store_;
  CredentialStore kept_;
  BrokerCredentials in_use_;
  Catalog catalog_;
  CredentialAdmin admin_;
};

TEST_F(CredentialAdminTest, PutKeepsItSealedAndListsItBesideTheFilesByName) {
  const json fields = {{"access_key", "AK-store"}, {"secret_key", kStoreSecret}};
  auto put = admin_.Put("lab-s3", fields);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(put->created);
  EXPECT_EQ(put->credential, (json{{"name", "lab-s3"}, {"source", "store"}, {"fields", {"access_key", "secret_key"}},
                                   {"updated_at", "2026-12-05T10:00:00Z"}, {"key_id", "k1"}}));
  auto again = admin_.Put("lab-s3", fields);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  // Adapters get the store's values; the file's name stays the file's.
  EXPECT_EQ((*in_use_.Fields("lab-s3"))->at("secret_key"), kStoreSecret);
  EXPECT_EQ((*in_use_.Fields("from-file"))->at("secret_key"), kFileSecret);
  EXPECT_FALSE(in_use_.Fields("nobody")->has_value());

  auto all = admin_.List("", 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->credentials.size(), 2u);
  EXPECT_EQ(all->credentials[0], (json{{"name", "from-file"}, {"source", "file"}, {"fields", {"access_key", "secret_key"}}}));
  EXPECT_EQ(all->credentials[1]["name"], "lab-s3");
  EXPECT_FALSE(all->next);
  auto first = admin_.List("", 1);
  ASSERT_EQ(first->credentials.size(), 1u);
  ASSERT_TRUE(first->next);
  auto second = admin_.List(*first->next, 1);
  ASSERT_EQ(second->credentials.size(), 1u);
  EXPECT_EQ(second->credentials[0]["name"], "lab-s3");
  EXPECT_FALSE(second->next);
  EXPECT_EQ(admin_.Get("from-file")->at("source"), "file");
  EXPECT_EQ(admin_.Get("nobody").status().code(), StatusCode::kNotFound);
  for (const auto& c : all->credentials) EXPECT_EQ(c.dump().find(kStoreSecret), std::string::npos);
}

TEST_F(CredentialAdminTest, TheFilesNamesAreChangedOnlyInTheFile) {
  auto put = admin_.Put("from-file", {{"access_key", "AK-store"}, {"secret_key", kStoreSecret}});
  EXPECT_EQ(put.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(put.status().message().find("--credentials file"), std::string::npos) << put.status().message();
  EXPECT_EQ(admin_.Delete("from-file").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*in_use_.Fields("from-file"))->at("secret_key"), kFileSecret);
  ExpectNoValue(put);
}

TEST_F(CredentialAdminTest, AChangeThatWouldBreakAProviderIsRefusedNamingIt) {
  ASSERT_TRUE(admin_.Put("lab-s3", {{"access_key", "AK-store"}, {"secret_key", kStoreSecret}}).ok());
  Status stored = PutProvider("p1", "lab-s3");
  ASSERT_TRUE(stored.ok()) << stored.ToString();
  // Without secret_key the s3 adapter would not build at the next failover.
  auto half = admin_.Put("lab-s3", {{"access_key", "AK-store"}});
  ASSERT_EQ(half.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_EQ(half.status().errors().size(), 1u);
  EXPECT_NE(half.status().errors()[0].message.find("provider p1's object_storage adapter (s3)"), std::string::npos) << half.status().errors()[0].message;
  EXPECT_NE(half.status().errors()[0].message.find("secret_key"), std::string::npos);
  ExpectNoValue(half);
  EXPECT_EQ((*in_use_.Fields("lab-s3"))->at("secret_key"), kStoreSecret);  // unchanged
  // A value the adapter's schema refuses: named by field, never shown.
  auto bad = admin_.Put("lab-s3", {{"access_key", "AK-store"}, {"secret_key", std::string(300, 'q') + kStoreSecret}});
  ASSERT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  ExpectNoValue(bad);
  // Deleting it while p1 names it: refused; once p1 is gone, deleted.
  auto in_use = admin_.Delete("lab-s3");
  ASSERT_EQ(in_use.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(in_use.status().errors().at(0).message.find("p1"), std::string::npos);
  ASSERT_TRUE(catalog_.Delete(Collection::kProviders, "p1").ok());
  auto deleted = admin_.Delete("lab-s3");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->credential["name"], "lab-s3");
  EXPECT_EQ(admin_.Delete("lab-s3").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(in_use_.Fields("lab-s3")->has_value());
  // A provider naming a credential nobody has is refused when stored.
  EXPECT_EQ(PutProvider("p2", "lab-s3").code(), StatusCode::kInvalidArgument);
}

TEST_F(CredentialAdminTest, BadFieldsAreRefusedAtTheirPointerWithoutTheirValue) {
  auto wrong_type = admin_.Put("x", {{"secret_key", {{"nested", kStoreSecret}}}});
  ASSERT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong_type.status().errors().at(0).pointer, "/secret_key");
  ExpectNoValue(wrong_type);
  EXPECT_EQ(admin_.Put("x", json::object()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(admin_.Put("Not An Id", {{"k", "v"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(admin_.Get("x").status().code(), StatusCode::kNotFound);  // nothing kept
}

TEST_F(CredentialAdminTest, WithoutAKeyRingNothingIsKeptButTheFileIsShown) {
  BrokerCredentials file_only(&file_, nullptr);
  CredentialAdmin admin(catalog_, registry_, *schemas_, file_only);
  auto put = admin.Put("lab-s3", {{"k", "v"}});
  EXPECT_EQ(put.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(put.status().message().find("--secrets-key"), std::string::npos);
  EXPECT_EQ(admin.List("", 10)->credentials.size(), 1u);
  EXPECT_EQ(admin.Delete("lab-s3").status().code(), StatusCode::kNotFound);
}

TEST_F(CredentialAdminTest, ACredentialTheRingCannotOpenIsAnErrorNotAMissingName) {
  // Sealed with a key this broker's ring lacks (another broker's, or one dropped too early).
  SecretKeyRing other = *SecretKeyRing::FromText("k9 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n");
  ASSERT_TRUE(CredentialStore(*store_, other, clock_).Put("sealed-elsewhere", {{"access_key", "AK-store"}, {"secret_key", kStoreSecret}}).ok());
  auto fields = in_use_.Fields("sealed-elsewhere");
  ASSERT_EQ(fields.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(fields.status().message().find("k9"), std::string::npos) << fields.status().message();
  EXPECT_EQ(PutProvider("p3", "sealed-elsewhere").code(), StatusCode::kFailedPrecondition);
  ExpectNoValue(fields);
}

}  // namespace
}  // namespace icb
