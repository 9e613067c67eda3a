// The cross-tenant suite, generated from the OpenAPI description: a victim
// tenant makes objects (a profile, a placed workload, its failover), then
// every documented operation is replayed against them by another tenant's
// reader and operator, and each write by the victim's own reader. Counted:
// leaks (an answer that shows the victim's object, or that differs from the
// answer for an id nobody has) and effects (any change to what the victim
// sees, its trail, or its service and record at the providers, after the
// orchestrator has run whatever the replays started). A route added later
// without its tenant's scope is in the description, so it is replayed too.
//
// Pairs: the default tenant as victim catches a route that forgets the
// scope (it would read the unprefixed, default space); a named tenant as
// victim with the default tenant as attacker catches one that takes a
// stored id ("acme~web") as it comes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/cross_tenant.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::WorkloadDoc;

using Pair = testing::TenantPair;
constexpr const char* kSecretName = testing::kVictimSecretName;

class CrossTenantTest : public testing::KeyedApiTest, public ::testing::WithParamInterface<Pair> {
 protected:  // What the victim sees, and what runs for it at the providers.
  std::string VictimView(const std::string& reader) {
    std::string view;
    for (const char* target : {"/v1/workloads", "/v1/profiles", "/v1/operations", "/v1/events?limit=1000"})
      view += std::string(target) + " " + As(reader, "GET", target).body + "\n";
    for (const char* p : {"sim-a", "sim-b", "sim-c"}) {
      auto state = adapters_.compute(p).State();
      for (const auto& s : state->services)
        if (s.service == service_) view += std::string(p) + " runs " + std::to_string(s.instances) + "\n";
    }
    auto record = adapters_.dns().Get(dns_name_, "A");
    if (record.ok() && *record) view += "dns " + json((*record)->contents).dump() + "\n";
    return view;
  }
  std::string service_, dns_name_;
};

TEST_P(CrossTenantTest, EveryDocumentedOperationReplayedByAnotherTenantLeaksNothingAndChangesNothing) {
  const auto [victim, attacker] = GetParam();
  const std::string v_operator = Key(victim, Role::kOperator), v_reader = Key(victim, Role::kReader);
  const std::map<std::string, std::string> attackers = {{"another tenant's reader", Key(attacker, Role::kReader)},
                                                        {"another tenant's operator", Key(attacker, Role::kOperator)},
                                                        {"the victim's reader", v_reader}};
  // The victim's objects.
  json profile = json::parse(*catalog_.GetProfile("web"));
  profile["id"] = "v-prof";
  profile["description"] = kSecretName;
  ASSERT_EQ(As(v_operator, "PUT", "/v1/profiles/v-prof", profile.dump()).status, 201);
  json workload = WorkloadDoc("v-work");
  workload["name"] = kSecretName;
  workload["profile_id"] = "v-prof";
  service_ = "svc-" + victim;
  dns_name_ = "v-work-" + victim + ".lab.example.";
  workload["service"] = service_;
  workload["dns"]["name"] = dns_name_;
  ASSERT_EQ(As(v_operator, "PUT", "/v1/workloads/v-work", workload.dump()).status, 201);
  Drive();
  HttpResponse failover = As(v_operator, "POST", "/v1/workloads/v-work/failover", R"({"reason":"drill"})", {{"idempotency-key", "same-key"}});
  ASSERT_EQ(failover.status, 202) << failover.body;
  Drive();
  std::vector<std::string> ops;
  const json listed = json::parse(As(v_reader, "GET", "/v1/operations").body);  // named: a loop over a temporary's member would dangle
  for (const auto& o : listed["operations"]) ops.push_back(o["id"]);
  ASSERT_EQ(ops.size(), 2u);  // its place and its failover
  const std::string before = VictimView(v_reader);
  ASSERT_NE(before.find(kSecretName), std::string::npos);
  ASSERT_NE(before.find("runs"), std::string::npos);

  testing::VictimObjects v;
  v.operations = ops;
  v.prefix = TenantSpace::OfTenant(victim).prefix();
  v.secrets = {kSecretName, service_};
  v.bodies = testing::VictimBodies(workload, profile);
  auto send = [this](const std::string& key, const std::string& method, const std::string& target, const std::string& body,
                     std::map<std::string, std::string> headers) {
    HttpResponse r = As(key, method, target, body, std::move(headers));
    return testing::TenantReply{r.status, r.content_type, r.body};
  };
  const testing::ReplayCounts n = testing::ReplayAgainstVictim(send, attackers, v);
  const int requests = n.requests, leaks = n.leaks, refused_by_role = n.refused_by_role;
  // Whatever the replays started has run; the victim's world is as it was.
  Drive();
  const std::string after = VictimView(v_reader);
  EXPECT_EQ(after, before);
  const int effects = after == before ? 0 : 1;
  EXPECT_EQ(leaks, 0);
  EXPECT_GT(requests, 90);
  EXPECT_GT(refused_by_role, 20);
  std::printf("cross-tenant (%s attacked by %s): %d requests, %d refused by role, %d leaks, %d effects\n", victim.c_str(), attacker.c_str(), requests,
              refused_by_role, leaks, effects);
}

INSTANTIATE_TEST_SUITE_P(Pairs, CrossTenantTest,
                         ::testing::Values(Pair{"default", "bee"}, Pair{"acme", "default"}, Pair{"acme", "bee"}),
                         [](const ::testing::TestParamInfo<Pair>& pair) { return pair.param.victim + "_by_" + pair.param.attacker; });

}  // namespace
}  // namespace icb
