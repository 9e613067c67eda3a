// The operator console in a real browser on the lab: a broker asking for
// keys serves the lab's catalog; one tenant places three workloads on
// sim-a, another one on sim-b; tests/browser/console_test.mjs then drives
// headless chromium through the console as the first tenant's operator
// (workloads listed, readiness, a drill from the form, a failover clicked
// and followed live to its new placement, axe-core), as its reader (no
// write controls), as the other tenant (none of the first one's objects)
// and without the event stream (it polls). Here: the script passes, and
// the failover it clicked happened at the providers, once.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/lab/lab_fixture.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

class ConsoleLabTest : public LabFixture {
 protected:
  testing::HttpReply As(const std::string& key, const std::string& method, const std::string& target, const std::string& body = "") {
    return HttpCall(broker_->port(), method, target, body, "application/json", "Authorization: Bearer " + key + "\r\n");
  }
  std::string Key(const std::string& tenant, const std::string& role) {
    auto made = As(admin_, "POST", "/v1/keys", json{{"tenant", tenant}, {"role", role}}.dump());
    EXPECT_EQ(made.status, 201) << made.body;
    return made.status == 201 ? json::parse(made.body).value("secret", "") : "";
  }
  static json Workload(const std::string& id, int priority, const std::string& on) {
    return {{"name", "Workload " + id}, {"priority", priority}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
            {"placement", {{"provider", on}}}, {"service", id}, {"instances", 1},
            {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}}, {"rto_s", 60},
            {"failover", {{"automatic", true}, {"interval_s", 0.5}, {"failures", 3}, {"recoveries", 2}}}};
  }
  bool AllSucceeded(const std::string& key, size_t count) {
    return testing::Eventually([&] {
      auto r = As(key, "GET", "/v1/operations");
      if (r.status != 200) return false;
      const json listed = json::parse(r.body);
      if (listed["operations"].size() != count) return false;
      for (const auto& o : listed["operations"])
        if (o["state"] != "succeeded") return false;
      return true;
    });
  }

  std::unique_ptr<testing::BrokerProcess> broker_;
  std::string admin_;
};

TEST_F(ConsoleLabTest, TheConsoleTellsTheStoryLiveToEachKeyAsItsRoleAndTenantAllow) {
  MakeRoomy();
  const std::string data = tmp_.path() + "/data";
  auto [made_code, made] = testing::RunShell("(" + std::string(ICBROKER_BIN) + " keys create --tenant ops --role admin --data-dir " + data + " 2>/dev/null)");
  ASSERT_EQ(made_code, 0) << made;
  admin_ = json::parse(made)["secret"];
  std::vector<std::string> args = BrokerArgs(data);
  args.insert(args.end(), {"--auth", "keys", "--rate-per-key", "0", "--readiness-interval-s", "1"});
  broker_ = std::make_unique<testing::BrokerProcess>(args, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker_->Start()) << broker_->Log();
  const std::string op = Key("acme", "operator"), reader = Key("acme", "reader"), other = Key("globex", "operator");

  // acme's profile is the lab's; globex's the same under its own name.
  std::ifstream profile_file(LabEnvironment::Dir() + "/catalog/profiles/lab-web.json");
  const json profile = json::parse(profile_file);
  for (const auto& key : {op, other}) ASSERT_EQ(As(key, "PUT", "/v1/profiles/lab-web", profile.dump()).status, 201);
  const std::vector<std::string> mine = {"shop-web", "shop-api", "shop-batch"};
  for (size_t i = 0; i < mine.size(); ++i) {
    auto put = As(op, "PUT", "/v1/workloads/" + mine[i], Workload(mine[i], static_cast<int>(i) + 1, "sim-a").dump());
    ASSERT_EQ(put.status, 201) << put.body;
  }
  auto theirs = As(other, "PUT", "/v1/workloads/globex-ledger", Workload("globex-ledger", 1, "sim-b").dump());
  ASSERT_EQ(theirs.status, 201) << theirs.body;
  ASSERT_TRUE(AllSucceeded(op, 3)) << As(op, "GET", "/v1/operations").body;
  ASSERT_TRUE(AllSucceeded(other, 1)) << As(other, "GET", "/v1/operations").body;
  // A slow control plane at every provider, as real ones are: the
  // failover's steps take long enough to be seen advancing.
  for (const char* sim : {"sim-a", "sim-b", "sim-c"}) Steer(sim, {{"api_latency_ms", 700}});

  const std::string shots = tmp_.path() + "/screenshots";
  const std::string script = std::string(ICB_SOURCE_DIR) + "/tests/browser/console_test.mjs";
  const std::string env = "ICB_URL=http://127.0.0.1:" + std::to_string(broker_->port()) + " ICB_OPERATOR_KEY=" + op + " ICB_READER_KEY=" + reader +
                          " ICB_OTHER_KEY=" + other + " ICB_WORKLOADS=shop-web,shop-api,shop-batch ICB_OTHER_WORKLOAD=globex-ledger" +
                          " ICB_FAILOVER=shop-web ICB_DOWN=sim-a ICB_SCREENSHOTS=" + (std::getenv("ICB_CONSOLE_SCREENSHOTS") ? std::getenv("ICB_CONSOLE_SCREENSHOTS") : shots);
  auto [rc, out] = testing::RunShell(env + " timeout 300 node " + script + " 2>&1");
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out << "\n" << broker_->Log();

  // The failover the operator clicked happened once, at the providers too.
  const json ops = json::parse(As(op, "GET", "/v1/operations?kind=failover").body);
  ASSERT_EQ(ops["operations"].size(), 1u) << ops.dump();
  EXPECT_EQ(ops["operations"][0]["state"], "succeeded");
  const std::string moved_to = json::parse(As(op, "GET", "/v1/workloads/shop-web").body)["placement"]["provider"];
  EXPECT_NE(moved_to, "sim-a");
  const auto effects = Effects("shop-web", "", moved_to);
  EXPECT_FALSE(effects.empty()) << "deployed at the target";
  for (const auto& [call, n] : effects) EXPECT_EQ(n, 1) << call << " at " << moved_to;
  // globex's workload never moved.
  EXPECT_EQ(json::parse(As(other, "GET", "/v1/workloads/globex-ledger").body)["placement"]["provider"], "sim-b");
}

}  // namespace
}  // namespace icb
