// Adapter references are checked when a provider is stored, secrets come
// only from the credentials file, and no error ever quotes one.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "broker/ports/credentials.h"
#include "broker/catalog/catalog.h"
#include "tests/support/test_docs.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;

const char* kSecret = "s3cr3t-7f2c1e0b-never-shown";
const char* kAccess = "AKIA-5d1e-never-shown";

std::string WriteFile(const std::string& dir, const std::string& text, mode_t mode) {
  std::string path = dir + "/credentials.json";
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

TEST(Credentials, TheFileMustBeMode0600AndItsErrorsQuoteNoSecret) {
  testing::TempDir dir;
  std::string good = json{{"lab-s3", {{"access_key", kAccess}, {"secret_key", kSecret}}}}.dump();
  auto open = Credentials::LoadFile(WriteFile(dir.path(), good, 0644));
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("mode 0644"), std::string::npos) << open.status().message();
  auto loaded = Credentials::LoadFile(WriteFile(dir.path(), good, 0600));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->Has("lab-s3"));
  auto joined = JoinCredentials(*loaded, "lab-s3", {{"bucket", "b"}});
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ((*joined)["secret_key"], kSecret);
  EXPECT_EQ((*joined)["bucket"], "b");
  // Malformed right after a secret: the parser's own message would quote it.
  auto bad = Credentials::LoadFile(WriteFile(dir.path(), std::string("{\"x\": {\"secret_key\": \"") + kSecret + "\" oops", 0600));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().ToString().find(kSecret), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("at byte"), std::string::npos);
  EXPECT_FALSE(Credentials::FromJson(json{{"x", {{"k", json::array()}}}}).ok());
  EXPECT_FALSE(Credentials::LoadFile(dir.path() + "/absent.json").ok());
}

class AdapterRefs : public ::testing::Test {
 protected:
  AdapterRefs()
      : schemas_(*SchemaSet::LoadEmbedded()),
        registry_(*schemas_),
        credentials_(*Credentials::FromJson({{"lab-s3", {{"access_key", kAccess}, {"secret_key", kSecret}}},
                                             {"half", {{"access_key", kAccess}}},
                                             {"too-long", {{"access_key", kAccess}, {"secret_key", std::string(300, 'q') + kSecret}}}})),
        store_(NewMemoryStore()),
        catalog_(*store_, schemas_, {nullptr, Millis(0), [this](const json& doc) {
                                       return CheckAdapterRefs(registry_, *schemas_, &credentials_, doc);
                                     }}) {
    RegisterBuiltinAdapters(registry_);
  }

  // PUT of a provider with one adapter reference; the errors it got, every
  // message also searched for a secret.
  Status Put(const std::string& capability, json ref) {
    json doc = testing::ProviderDoc("p");
    doc["adapters"] = {{capability, std::move(ref)}};
    auto r = catalog_.PutProvider("p", doc);
    Status s = r.ok() ? Status::Ok() : r.status();
    for (const std::string& secret : credentials_.Values()) {
      EXPECT_EQ(s.ToString().find(secret), std::string::npos) << s.ToString();
      for (const auto& e : s.errors()) EXPECT_EQ(e.message.find(secret), std::string::npos) << e.message;
      if (r.ok()) {
        EXPECT_EQ(r->document.find(secret), std::string::npos);
      }
    }
    return s;
  }
  static json S3(json config) { return {{"adapter", "s3"}, {"credentials", "lab-s3"}, {"config", std::move(config)}}; }
  static json Config() { return {{"endpoint", "http://127.0.0.1:9000"}, {"bucket", "lab-data"}}; }
  std::string Pointer(const Status& s) { return s.errors().empty() ? "" : s.errors()[0].pointer; }

  std::shared_ptr<const SchemaSet> schemas_;
  AdapterRegistry registry_;
  Credentials credentials_;
  std::unique_ptr<Store> store_;
  Catalog catalog_;
};

TEST_F(AdapterRefs, AValidReferenceIsStoredWithoutItsSecrets) {
  EXPECT_TRUE(Put("object_storage", S3(Config())).ok());
  auto stored = *catalog_.GetProvider("p");
  EXPECT_EQ(stored.find(kSecret), std::string::npos);
  EXPECT_NE(stored.find("\"credentials\":\"lab-s3\""), std::string::npos);
}

TEST_F(AdapterRefs, EachMistakeIsRefusedAtItsPointerAndNothingIsStored) {
  Status s = Put("dns", {{"adapter", "s3"}, {"config", json::object()}});
  EXPECT_EQ(Pointer(s), "/adapters/dns/adapter");
  EXPECT_NE(s.errors()[0].message.find("known: powerdns"), std::string::npos) << s.errors()[0].message;

  json with_secret = Config();
  with_secret["secret_key"] = kSecret;
  s = Put("object_storage", S3(with_secret));
  EXPECT_EQ(Pointer(s), "/adapters/object_storage/config/secret_key");

  json unknown = S3(Config());
  unknown["credentials"] = "nobody";
  EXPECT_EQ(Pointer(Put("object_storage", unknown)), "/adapters/object_storage/credentials");

  json half = S3(Config());
  half["credentials"] = "half";
  s = Put("object_storage", half);
  EXPECT_EQ(Pointer(s), "/adapters/object_storage/credentials");
  EXPECT_NE(s.errors()[0].message.find("no secret_key"), std::string::npos) << s.errors()[0].message;

  json none = {{"adapter", "s3"}, {"config", Config()}};
  s = Put("object_storage", none);
  ASSERT_EQ(s.errors().size(), 2u);  // access_key and secret_key
  EXPECT_EQ(Pointer(s), "/adapters/object_storage/credentials");

  json too_long = S3(Config());
  too_long["credentials"] = "too-long";
  s = Put("object_storage", too_long);
  EXPECT_EQ(Pointer(s), "/adapters/object_storage/credentials");
  EXPECT_NE(s.errors()[0].message.find("value not shown"), std::string::npos);

  json bad_endpoint = Config();
  bad_endpoint["endpoint"] = "ftp://x";
  EXPECT_EQ(Pointer(Put("object_storage", S3(bad_endpoint))), "/adapters/object_storage/config/endpoint");

  EXPECT_EQ(catalog_.GetProvider("p").status().code(), StatusCode::kNotFound);  // none of them stored
}

TEST_F(AdapterRefs, AdaptersWithoutSecretsNeedNoCredentials) {
  EXPECT_TRUE(Put("compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://127.0.0.1:7000"}}}}).ok());
}

}  // namespace
}  // namespace icb
