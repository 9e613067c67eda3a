// API keys through the binary: a broker that asks for them, keys made and
// revoked with `icbroker keys` while it serves, and a broker without keys
// refused beyond loopback.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = tmp_.path() + "/data"; }
  // `icbroker keys ARGS --data-dir DATA`: exit code and output.
  std::pair<int, std::string> Keys(const std::string& args) {
    // Its standard output only: the reminder on standard error is not JSON.
    return testing::RunShell("(" + std::string(ICBROKER_BIN) + " keys " + args + " --data-dir " + data_ + " 2>/dev/null)");
  }
  std::string Bearer(const std::string& secret) { return "Authorization: Bearer " + secret + "\r\n"; }
  testing::TempDir tmp_;
  std::string data_;
};

TEST_F(AuthTest, ABrokerAsksForKeysMadeAndRevokedWithTheCommandWhileItServes) {
  testing::BrokerProcess broker({"--data-dir", data_, "--demo", "--auth", "keys"}, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  const int port = broker.port();
  const std::string rank = R"({"profile_id":"kr-saas-critical","top_k":1})";

  EXPECT_EQ(HttpCall(port, "GET", "/v1/health").status, 200);
  auto refused = HttpCall(port, "POST", "/v1/rank", rank);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.headers["www-authenticate"], "Bearer realm=\"icbroker\"");

  auto [code, out] = Keys("create --tenant default --role reader --name procurement");
  ASSERT_EQ(code, 0) << out;
  const json reader = json::parse(out);
  const std::string secret = reader["secret"];
  EXPECT_EQ(HttpCall(port, "POST", "/v1/rank", rank, "application/json", Bearer(secret)).status, 200);
  auto put = HttpCall(port, "PUT", "/v1/profiles/mine", R"({"id":"mine"})", "application/json", Bearer(secret));
  EXPECT_EQ(put.status, 403) << put.body;

  // The listing shows the key, never its secret.
  auto [listed_code, listed] = Keys("list");
  ASSERT_EQ(listed_code, 0);
  EXPECT_NE(listed.find(reader["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(listed.find(secret.substr(17)), std::string::npos);

  ASSERT_EQ(Keys("revoke " + reader["id"].get<std::string>()).first, 0);
  // Within the broker's one-second memory of a check.
  EXPECT_TRUE(testing::Eventually([&] { return HttpCall(port, "POST", "/v1/rank", rank, "application/json", Bearer(secret)).status == 401; },
                                  std::chrono::seconds(10)));
}

TEST_F(AuthTest, TheFirstAdminKeyIsMadeBeforeAnythingServes) {
  auto [code, out] = Keys("create --tenant ops --role admin");
  ASSERT_EQ(code, 0) << out;
  const std::string admin = json::parse(out)["secret"];
  testing::BrokerProcess broker({"--data-dir", data_, "--auth", "keys"}, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  auto made = HttpCall(broker.port(), "POST", "/v1/keys", R"({"tenant":"acme","role":"operator"})", "application/json", Bearer(admin));
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(HttpCall(broker.port(), "GET", "/v1/keys", "", "application/json", Bearer(admin)).status, 200);
  EXPECT_EQ(HttpCall(broker.port(), "GET", "/v1/keys", "", "application/json", Bearer(json::parse(made.body)["secret"])).status, 403);
}

TEST_F(AuthTest, WithoutKeysTheBrokerRefusesToListenBeyondLoopback) {
  auto [code, out] = testing::RunShell(std::string(ICBROKER_BIN) + " serve --auth off --listen 0.0.0.0:0 --data-dir " + data_ + " 2>&1");
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("--auth off"), std::string::npos) << out;
  // Nothing was started: no store in the data directory.
  EXPECT_FALSE(std::filesystem::exists(data_ + "/redis.sock"));
}

}  // namespace
}  // namespace icb
