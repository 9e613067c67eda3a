// The S3 adapter against s3rver (a real S3 protocol server; it checks access
// keys but not signatures, which the unit tests check against AWS's published
// example), started once on a free loopback port: the object-store
// conformance suite, and a cross-check with awscli, a client nobody here wrote.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "broker/ports/registry.h"
#include "broker/core/time.h"
#include "tests/support/child_process.h"
#include "tests/support/lab_adapters.h"
#include "tests/support/object_store_conformance.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using testing::ChildProcess;

// s3rver's built-in account.
constexpr const char* kAccessKey = "S3RVER";
constexpr const char* kSecretKey = "S3RVER";

// One s3rver for the whole binary; each test gets a bucket of its own.
class S3Lab {
 public:
  static S3Lab& Get() {
    static S3Lab lab;
    return lab;
  }
  int port() const { return port_; }
  bool ready() const { return server_ && server_->ready(); }
  std::string Log() const { return server_ ? server_->Log() : ""; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_.path(); }

  std::unique_ptr<ObjectStore> NewStore(const std::string& bucket, int threshold_mib = 5, int part_mib = 5) {
    nlohmann::json cfg = {{"endpoint", endpoint()}, {"bucket", bucket}, {"access_key", kAccessKey}, {"secret_key", kSecretKey},
                          {"multipart_threshold_mib", threshold_mib}, {"part_size_mib", part_mib}, {"timeout_s", 30}};
    auto store = adapters_.Create<ObjectStore>("s3", cfg);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

 private:
  S3Lab() {
    port_ = testing::FreeTcpPort();
    server_ = std::make_unique<ChildProcess>(
        // s3rver's continuation tokens use a cipher OpenSSL 3 keeps in its legacy provider.
        std::vector<std::string>{"env", "NODE_OPTIONS=--openssl-legacy-provider", testing::LabBin("s3rver"), "-d", dir_.path() + "/data", "-a", "127.0.0.1", "-p", std::to_string(port_), "--no-vhost-buckets"},
        dir_.path() + "/s3rver.log", port_);
  }
  testing::TempDir dir_;
  testing::LabAdapters adapters_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

int next_bucket = 0;

struct S3ObjectStores {
  static constexpr size_t kLarge = 12 << 20;  // above the 5 MiB threshold: three parts
  std::unique_ptr<ObjectStore> Make() {
    auto& lab = S3Lab::Get();
    EXPECT_TRUE(lab.ready()) << lab.Log();
    return lab.NewStore("conformance-" + std::to_string(++next_bucket));
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(S3, ObjectStoreConformance, S3ObjectStores);

using testing::RunShell;

std::string Aws(const std::string& args) {
  auto& lab = S3Lab::Get();
  return "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
         "AWS_SHARED_CREDENTIALS_FILE=/dev/null aws --endpoint-url " + lab.endpoint() + " " + args;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(S3Adapter, AwsCliAgreesByteForByte) {
  ASSERT_EQ(RunShell("command -v aws").first, 0) << "awscli is missing: scripts/setup.sh installs it";
  auto& lab = S3Lab::Get();
  ASSERT_TRUE(lab.ready()) << lab.Log();
  auto store = lab.NewStore("crosscheck");
  ASSERT_TRUE(store->EnsureContainer().ok());
  testing::TempDir tmp;
  // Awkward keys, an empty object, and one above the multipart threshold.
  std::vector<std::pair<std::string, std::string>> objects = {
      {"with space.txt", "spaces"}, {"plus+sign.bin", RandomBytes(1000, 3)}, {"유니코드/파일.txt", "unicode"}, {"empty", ""},
      {"big/multipart.bin", RandomBytes(11 << 20, 4)}};
  for (const auto& [key, data] : objects) {
    ASSERT_TRUE(PutString(*store, key, data).ok()) << key;
    std::string local = tmp.path() + "/down";
    auto [rc, out] = RunShell(Aws("s3api get-object --bucket crosscheck --key '" + key + "' '" + local + "'"));
    ASSERT_EQ(rc, 0) << key << ": " << out;
    EXPECT_TRUE(Slurp(local) == data) << key;
  }
  // What awscli writes (its own multipart upload above 8 MiB), the adapter reads.
  std::string local = tmp.path() + "/up.bin";
  std::string data = RandomBytes(9 << 20, 5);
  std::ofstream(local, std::ios::binary) << data;
  auto [rc, out] = RunShell(Aws("s3 cp '" + local + "' 's3://crosscheck/from aws/+plus é.bin'"));
  ASSERT_EQ(rc, 0) << out;
  auto back = ReadAll(*store, "from aws/+plus é.bin");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data);
  auto listed = ListAll(*store, "from aws/");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, data.size());
}

TEST(S3Adapter, UnknownKeyIsPermissionDeniedAndSecretsNeverEchoed) {
  auto& lab = S3Lab::Get();
  ASSERT_TRUE(lab.ready()) << lab.Log();
  testing::LabAdapters adapters;
  auto store = adapters.Create<ObjectStore>("s3", {{"endpoint", lab.endpoint()}, {"bucket", "secrets"}, {"access_key", "UNKNOWN-KEY"},
                                              {"secret_key", "not-the-secret-xyz"}, {"attempts", 1}});
  ASSERT_TRUE(store.ok());
  Status st = (*store)->EnsureContainer();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_EQ(st.ToString().find("not-the-secret-xyz"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.ToString().find("StringToSign"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace icb
