// The cross-tenant suite on the binary and the lab: a broker asking for
// keys serves the lab's catalog; a victim tenant places a workload on the
// simulated providers (its service deployed, its record in PowerDNS) and
// fails it over; then every operation of the OpenAPI description is
// replayed against it by another tenant's reader and operator, and each
// write by the victim's own reader (tests/support/cross_tenant.h). Counted:
// leaks, and effects — any change to what the victim sees through the API,
// to any simulated provider's deploy and scale calls or services, or to the
// victim's DNS answer as dig reads it.
//
// Pairs as in the in-process suite (tests/unit/api/cross_tenant_test.cc):
// the default tenant as victim catches a route that forgets the scope, a
// named one attacked by the default tenant catches a route that takes a
// stored id ("acme~v-work") as it comes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/lab/lab_fixture.h"
#include "tests/support/broker_process.h"
#include "tests/support/cross_tenant.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

using Pair = testing::TenantPair;
constexpr const char* kSecretName = testing::kVictimSecretName;

class CrossTenantLabTest : public LabFixture, public ::testing::WithParamInterface<Pair> {
 protected:
  testing::HttpReply As(const std::string& key, const std::string& method, const std::string& target, const std::string& body = "",
                        const std::map<std::string, std::string>& headers = {}) {
    std::string extra = "Authorization: Bearer " + key + "\r\n";
    for (const auto& [name, value] : headers) extra += name + ": " + value + "\r\n";
    return HttpCall(broker_->port(), method, target, body, "application/json", extra);
  }
  // A key made by the admin through the API; its secret.
  std::string Key(const std::string& tenant, const std::string& role) {
    auto made = As(admin_, "POST", "/v1/keys", json{{"tenant", tenant}, {"role", role}}.dump());
    EXPECT_EQ(made.status, 201) << made.body;
    return made.status == 201 ? json::parse(made.body).value("secret", "") : "";
  }
  // What the victim sees, and everything the simulated providers and
  // PowerDNS hold.
  std::string VictimView(const std::string& reader) {
    std::string view;
    for (const char* target : {"/v1/workloads", "/v1/profiles", "/v1/operations", "/v1/events?limit=1000"})
      view += std::string(target) + " " + As(reader, "GET", target).body + "\n";
    for (const auto& sim : (*lab_)["compute"])
      for (const char* what : {"/v1/calls", "/v1/services"}) {
        auto [rc, out] = testing::RunShell("curl -sf " + sim["url"].get<std::string>() + what);
        view += sim["provider"].get<std::string>() + what + " " + (rc == 0 ? out : "(no answer)") + "\n";
      }
    view += "dig " + Dig(dns_name_) + "\n";
    return view;
  }

  std::unique_ptr<testing::BrokerProcess> broker_;
  std::string admin_, dns_name_;
};

TEST_P(CrossTenantLabTest, EveryDocumentedOperationReplayedByAnotherTenantLeaksNothingAndChangesNothingAtTheProviders) {
  const auto [victim, attacker] = GetParam();
  const std::string data = tmp_.path() + "/data";
  auto [made_code, made] = testing::RunShell("(" + std::string(ICBROKER_BIN) + " keys create --tenant ops --role admin --data-dir " + data + " 2>/dev/null)");
  ASSERT_EQ(made_code, 0) << made;
  admin_ = json::parse(made)["secret"];
  std::vector<std::string> args = BrokerArgs(data);
  // Hundreds of requests a key, at once: no rate limit in the way.
  args.insert(args.end(), {"--auth", "keys", "--rate-per-key", "0"});
  broker_ = std::make_unique<testing::BrokerProcess>(args, tmp_.path() + "/broker.log");
  ASSERT_TRUE(broker_->Start()) << broker_->Log();
  const std::string v_operator = Key(victim, "operator"), v_reader = Key(victim, "reader");
  const std::map<std::string, std::string> attackers = {{"another tenant's reader", Key(attacker, "reader")},
                                                        {"another tenant's operator", Key(attacker, "operator")},
                                                        {"the victim's reader", v_reader}};

  // The victim's objects: its profile (the lab's, renamed), its workload
  // placed on sim-a, and its failover away from there.
  std::ifstream profile_file(LabEnvironment::Dir() + "/catalog/profiles/lab-web.json");
  json profile = json::parse(profile_file);
  profile["id"] = "v-prof";
  profile["description"] = kSecretName;
  ASSERT_EQ(As(v_operator, "PUT", "/v1/profiles/v-prof", profile.dump()).status, 201);
  const std::string service = "svc-" + victim;
  dns_name_ = "v-work-" + victim + ".lab.example.";
  json workload = {{"name", kSecretName}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "v-prof"},
                   {"placement", {{"provider", "sim-a"}}}, {"service", service}, {"instances", 1},
                   {"dns", {{"provider", "lab-dns"}, {"name", dns_name_}, {"ttl", 5}}}, {"rto_s", 3},
                   {"failover", {{"automatic", false}, {"interval_s", 0.2}, {"failures", 3}, {"recoveries", 2}}}};
  auto put = As(v_operator, "PUT", "/v1/workloads/v-work", workload.dump());
  ASSERT_EQ(put.status, 201) << put.body;
  auto ended = [&](size_t count) {
    return testing::Eventually([&] {
      const json listed = json::parse(As(v_reader, "GET", "/v1/operations").body);
      if (listed["operations"].size() != count) return false;
      for (const auto& o : listed["operations"])
        if (o["state"] != "succeeded") return false;
      return true;
    });
  };
  ASSERT_TRUE(ended(1)) << As(v_reader, "GET", "/v1/operations").body;
  ASSERT_EQ(Dig(dns_name_), Address("sim-a"));
  auto failover = As(v_operator, "POST", "/v1/workloads/v-work/failover", R"({"reason":"drill"})", {{"idempotency-key", "same-key"}});
  ASSERT_EQ(failover.status, 202) << failover.body;
  ASSERT_TRUE(ended(2)) << As(v_reader, "GET", "/v1/operations").body;
  const std::string moved_to = json::parse(As(v_reader, "GET", "/v1/workloads/v-work").body)["placement"]["provider"];
  ASSERT_NE(moved_to, "sim-a");
  ASSERT_TRUE(testing::Eventually([&] { return Dig(dns_name_) == Address(moved_to); })) << Dig(dns_name_);
  std::vector<std::string> ops;
  const json listed = json::parse(As(v_reader, "GET", "/v1/operations").body);  // named: a loop over a temporary's member would dangle
  for (const auto& o : listed["operations"]) ops.push_back(o["id"]);
  const std::string before = VictimView(v_reader);
  ASSERT_NE(before.find(kSecretName), std::string::npos);
  ASSERT_NE(before.find(service), std::string::npos);

  testing::VictimObjects v;
  v.operations = ops;
  v.prefix = victim == "default" ? "" : victim + "~";
  v.secrets = {kSecretName, service};
  v.bodies = testing::VictimBodies(workload, profile);
  auto send = [this](const std::string& key, const std::string& method, const std::string& target, const std::string& body,
                     std::map<std::string, std::string> headers) {
    testing::HttpReply r = As(key, method, target, body, headers);
    return testing::TenantReply{r.status, r.headers["content-type"], r.body};
  };
  const testing::ReplayCounts n = testing::ReplayAgainstVictim(send, attackers, v);

  // Whatever the replays could have started has had its time: the broker's
  // operations are listed for an admin, and none is running.
  ASSERT_TRUE(testing::Eventually([&] {
    const json all = json::parse(As(admin_, "GET", "/v1/operations").body);
    for (const auto& o : all["operations"])
      if (o["state"] != "succeeded" && o["state"] != "failed" && o["state"] != "cancelled") return false;
    return true;
  }));
  const std::string after = VictimView(v_reader);
  EXPECT_EQ(after, before);
  const int effects = after == before ? 0 : 1;
  EXPECT_EQ(n.leaks, 0);
  EXPECT_GT(n.requests, 90);
  EXPECT_GT(n.refused_by_role, 20);
  std::printf("cross-tenant on the lab (%s attacked by %s): %d requests, %d refused by role, %d leaks, %d effects\n", victim.c_str(),
              attacker.c_str(), n.requests, n.refused_by_role, n.leaks, effects);
}

INSTANTIATE_TEST_SUITE_P(Pairs, CrossTenantLabTest, ::testing::Values(Pair{"default", "bee"}, Pair{"acme", "default"}),
                         [](const ::testing::TestParamInfo<Pair>& pair) { return pair.param.victim + "_by_" + pair.param.attacker; });

}  // namespace
}  // namespace icb
