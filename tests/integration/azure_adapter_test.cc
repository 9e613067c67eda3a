// The Azure Blob adapter against Azurite (Microsoft's emulator, which checks
// SharedKey signatures), started once on a free loopback port: the
// object-store conformance suite, and a refused wrong key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/lab_adapters.h"
#include "tests/support/object_store_conformance.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

// Azurite's well-known development account.
constexpr const char* kAccount = "devstoreaccount1";
constexpr const char* kKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

class AzureLab {
 public:
  static AzureLab& Get() {
    static AzureLab lab;
    return lab;
  }
  bool ready() const { return server_ && server_->ready(); }
  std::string Log() const { return server_ ? server_->Log() : ""; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<ObjectStore> NewStore(const std::string& container, const std::string& key = kKey) {
    nlohmann::json cfg = {{"endpoint", endpoint()}, {"account", kAccount}, {"key", key}, {"container", container},
                          {"block_threshold_mib", 4}, {"block_size_mib", 2}, {"attempts", 2}};
    auto store = adapters_.Create<ObjectStore>("azure_blob", cfg);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

 private:
  AzureLab() {
    port_ = testing::FreeTcpPort();
    server_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{testing::LabBin("azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port_), "--location",
                                 dir_.path() + "/data", "--silent", "--skipApiVersionCheck"},
        dir_.path() + "/azurite.log", port_);
  }
  testing::TempDir dir_;
  testing::LabAdapters adapters_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> server_;
};

int next_container = 0;

struct AzureBlobStores {
  static constexpr size_t kLarge = 9 << 20;  // above the 4 MiB threshold: five blocks
  std::unique_ptr<ObjectStore> Make() {
    auto& lab = AzureLab::Get();
    EXPECT_TRUE(lab.ready()) << lab.Log();
    return lab.NewStore("conformance-" + std::to_string(++next_container));
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(AzureBlob, ObjectStoreConformance, AzureBlobStores);

TEST(AzureBlobAdapter, WrongKeyIsPermissionDeniedAndNeverEchoed) {
  auto& lab = AzureLab::Get();
  ASSERT_TRUE(lab.ready()) << lab.Log();
  std::string wrong = "d3Jvbmcta2V5LW5vdC10aGUtcmVhbC1vbmU=";  // base64 of "wrong-key-not-the-real-one"
  auto store = lab.NewStore("secrets", wrong);
  Status st = store->EnsureContainer();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_EQ(st.ToString().find(wrong), std::string::npos);
}

}  // namespace
}  // namespace icb
