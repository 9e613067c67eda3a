// Latency-aware placement on the memory fakes and a manual clock: the
// localize and delocalize kinds (the nearest candidate from the audience's
// vantage, capacity borrowed and given back, the audience's DNS view) and
// the localize controller driven through the scheduler by latency steered
// per provider and vantage, counting operations (no flapping).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/state/audiences.h"
#include "broker/orchestrator/triggers/audience_meter.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::FakeAdapters;
using testing::WorkloadDoc;

class LocalizeTest : public testing::ScheduledOrchestrationTest {
 protected:
  LocalizeTest() {
    // Each provider's front door, where a candidate is measured from an
    // audience's vantage before the service runs there.
    for (const auto& [id, addr] : FakeAdapters::Addresses()) {
      json p = json::parse(*catalog_.Get(Collection::kProviders, id));
      p["endpoints"] = {{{"id", "service"}, {"url", "http://" + addr + ":8000/"}}};
      EXPECT_TRUE(catalog_.PutProvider(id, p).ok());
    }
    orchestrator_ = std::make_unique<Orchestrator>(Deps(*store_), Options("broker-1"));
    // This broker stands at both vantages (its probes name them).
    meter_ = std::make_unique<AudienceMeter>(scheduler_, clock_, probes_, catalog_, orchestrator_->workloads(), *store_,
                                             AudienceMeterOptions{{"seoul-1", "frankfurt-1"}, Millis(1000), Millis(200)});
    orchestrator_->LocalizeWith(*meter_, *triggers_.FindLatency("latency"));
    orchestrator_->Start(scheduler_);
    meter_->Start();
  }
  ~LocalizeTest() override {
    meter_->Stop();
    orchestrator_->Stop();
  }
  static json Doc() {
    json doc = WorkloadDoc("shop", 1, "fast", 2);
    doc["failover"] = {{"automatic", false}};
    doc["audiences"] = {
        {{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 100}, {"window_s", 20}, {"cooldown_s", 60}},
        {{"id", "abroad"}, {"networks", {"198.51.100.0/24", "2001:db8::/32"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 100}, {"window_s", 20}, {"cooldown_s", 60}}};
    return doc;
  }
  // What `vantage` sees of `provider` (its host), in ms.
  void Steer(const std::string& provider, const std::string& vantage, double ms) {
    probes_.latency_from[FakeAdapters::Addresses().at(provider)][vantage] = ms;
  }
  DnsRecordSet Record() {
    auto r = adapters_.dns().Get("shop.lab.example.", "A");
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : DnsRecordSet{};
  }
  int Instances(const std::string& provider) {
    auto s = adapters_.compute(provider).State();
    const ServiceInstances* svc = s->Find("shop");
    return svc ? svc->instances : 0;
  }
  std::unique_ptr<AudienceMeter> meter_;
};

TEST_F(LocalizeTest, AFarAudienceIsServedFromTheNearestCandidateAndComesBackAfterTheCooldown) {
  Put(Doc());
  Run(30);
  ASSERT_EQ(Status("shop").state, "running");
  EXPECT_TRUE(Ops("localize").empty());  // everyone is near: nothing moves
  EXPECT_TRUE(Record().views.empty());

  // Frankfurt sees sim-a at 300 ms; sim-b at 20, sim-c at 150. Seoul sees all at 3 ms.
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 20);
  Steer("sim-c", "frankfurt-1", 150);
  Run(40);
  auto localized = Ops("localize");
  ASSERT_EQ(localized.size(), 1u);
  const Operation& op = localized[0];
  EXPECT_EQ(op.state, OperationState::kSucceeded) << op.reason;
  EXPECT_EQ(op.request["audience"], "abroad");
  EXPECT_EQ(op.source, "sim-a");
  EXPECT_EQ(op.target, "sim-b");  // the one meeting the objective from Frankfurt
  // The decision shows each candidate's latency from the vantage beside its rank.
  const json& weighed = op.Step("choose_target")->detail["candidates"];
  ASSERT_EQ(weighed.size(), 2u);
  EXPECT_EQ(weighed[0]["provider"], "sim-b");
  EXPECT_EQ(weighed[0]["latency"]["p95_ms"], 20);
  EXPECT_EQ(weighed[0]["latency"]["meets_objective"], true);
  EXPECT_EQ(weighed[1]["provider"], "sim-c");
  EXPECT_EQ(weighed[1]["latency"]["p95_ms"], 150);
  EXPECT_EQ(op.Step("choose_target")->detail["placement"]["latency"]["p95_ms"], 300);
  EXPECT_EQ(op.Step("verify")->detail["vantage"], "frankfurt-1");
  // Served from sim-b: the audience's networks answered its address, everyone else sim-a's.
  WorkloadStatus s = Status("shop");
  EXPECT_EQ(s.placement, "sim-a");
  ASSERT_EQ(s.audience_placements.count("abroad"), 1u);
  EXPECT_EQ(s.audience_placements["abroad"].provider, "sim-b");
  EXPECT_EQ(s.audience_placements.count("home"), 0u);
  DnsRecordSet r = Record();
  EXPECT_EQ(r.contents, (std::vector<std::string>{"127.0.0.11"}));
  ASSERT_EQ(r.views.size(), 1u);
  EXPECT_EQ(r.views[0].networks, (std::vector<std::string>{"198.51.100.0/24", "2001:db8::/32"}));
  EXPECT_EQ(r.views[0].contents, (std::vector<std::string>{"127.0.0.12"}));
  EXPECT_EQ(Instances("sim-b"), 2);
  EXPECT_EQ(Events("localized").size(), 1u);
  // GET shows where the audience is served (wire: {provider, since}).
  json shown = json::parse(*workloads_.Get("shop"));
  EXPECT_EQ(shown["audience_placements"]["abroad"]["provider"], "sim-b");
  EXPECT_TRUE(shown["audience_placements"]["abroad"]["since"].is_string());

  // Latency at sim-a swings around the objective faster than the cooldown: it stays away.
  for (int i = 0; i < 6; ++i) {
    Steer("sim-a", "frankfurt-1", i % 2 ? 300 : 20);
    Run(25);
  }
  EXPECT_EQ(Ops("localize").size(), 1u);
  EXPECT_TRUE(Ops("delocalize").empty());
  // Recovered for good: back after the 60 s cooldown, sim-b given back what it borrowed.
  Steer("sim-a", "frankfurt-1", 20);
  Run(50);
  EXPECT_TRUE(Ops("delocalize").empty());  // the cooldown has not passed
  Run(60);
  auto back = Ops("delocalize");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, OperationState::kSucceeded) << back[0].reason;
  EXPECT_EQ(back[0].source, "sim-b");
  EXPECT_TRUE(Status("shop").audience_placements.empty());
  EXPECT_TRUE(Record().views.empty());
  EXPECT_EQ(Record().contents, (std::vector<std::string>{"127.0.0.11"}));
  EXPECT_EQ(Instances("sim-b"), 0);
  EXPECT_EQ(Events("delocalized").size(), 1u);
  Run(60);
  EXPECT_EQ(Ops("localize").size(), 1u);  // and nothing more
  EXPECT_EQ(Ops("delocalize").size(), 1u);
}

TEST_F(LocalizeTest, AmongCandidatesMeetingTheObjectiveTheProfilesRankingDecides) {
  Put(Doc());
  Run(30);
  // sim-c is nearer, but sim-b meets the objective too and ranks higher.
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 90);
  Steer("sim-c", "frankfurt-1", 10);
  Run(40);
  auto localized = Ops("localize");
  ASSERT_EQ(localized.size(), 1u);
  EXPECT_EQ(localized[0].target, "sim-b");
}

TEST_F(LocalizeTest, WithNoCandidateNearerNothingMovesAndTheNextTryWaitsAWindow) {
  Put(Doc());
  Run(30);
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 400);
  Steer("sim-c", "frankfurt-1", 300);  // not below the placement's p95
  Run(12);
  auto tried = Ops("localize");
  ASSERT_EQ(tried.size(), 1u);
  EXPECT_EQ(tried[0].state, OperationState::kFailed);
  EXPECT_NE(tried[0].reason.find("faster than sim-a"), std::string::npos) << tried[0].reason;
  EXPECT_TRUE(Status("shop").audience_placements.empty());
  EXPECT_TRUE(Status("shop").operation.empty());
  EXPECT_EQ(Instances("sim-b") + Instances("sim-c"), 0);  // nothing borrowed
  const auto not_before = GetAudiences(*store_, "shop")->value().audiences.at("abroad").not_before;
  ASSERT_TRUE(not_before.has_value());
  EXPECT_EQ(*not_before, tried[0].updated_at + Millis(20'000));  // a window (20 s) after it ended
  while (clock_.Now() < *not_before - Millis(200)) Run(1);
  EXPECT_EQ(Ops("localize").size(), 1u);
  Run(3);
  EXPECT_EQ(Ops("localize").size(), 2u);
}

TEST_F(LocalizeTest, AFailoverKeepsTheViewsOfAudiencesServedElsewhereAndFoldsInTheOneServedWhereItGoes) {
  Put(Doc());
  Run(30);
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 20);
  Run(40);
  ASSERT_EQ(Status("shop").audience_placements.at("abroad").provider, "sim-b");
  // To sim-c: abroad keeps its answer at sim-b.
  FailoverRequest to_c;
  to_c.to = "sim-c";
  auto failover = orchestrator_->StartFailover("shop", to_c);
  ASSERT_TRUE(failover.ok());
  Run(10);
  ASSERT_EQ(Status("shop").placement, "sim-c");
  // Its decision shows, per audience, each candidate's latency from its vantage beside its rank and score.
  const json audiences = Op(failover->id).Step("choose_target")->detail["audiences"];
  ASSERT_EQ(audiences.size(), 2u) << audiences.dump();
  EXPECT_EQ(audiences[1]["id"], "abroad");
  EXPECT_EQ(audiences[1]["vantage"], "frankfurt-1");
  ASSERT_EQ(audiences[1]["candidates"].size(), 2u);
  EXPECT_EQ(audiences[1]["candidates"][0]["provider"], "sim-b");
  EXPECT_EQ(audiences[1]["candidates"][0]["rank"], 2);  // sim-a, where it ran, ranks first
  EXPECT_EQ(audiences[1]["candidates"][0]["latency"]["p95_ms"], 20);
  EXPECT_EQ(audiences[1]["candidates"][1]["provider"], "sim-c");
  EXPECT_TRUE(audiences[1]["candidates"][1]["score"].is_number());
  EXPECT_EQ(audiences[0]["candidates"][1]["latency"]["p95_ms"], 3);  // home, from seoul-1
  DnsRecordSet r = Record();
  EXPECT_EQ(r.contents, (std::vector<std::string>{"127.0.0.13"}));
  ASSERT_EQ(r.views.size(), 1u);
  EXPECT_EQ(r.views[0].contents, (std::vector<std::string>{"127.0.0.12"}));
  // To sim-b, where abroad is served: the placement serves it now, no view.
  FailoverRequest to_b;
  to_b.to = "sim-b";
  ASSERT_TRUE(orchestrator_->StartFailover("shop", to_b).ok());
  Run(10);
  ASSERT_EQ(Status("shop").placement, "sim-b");
  EXPECT_TRUE(Status("shop").audience_placements.empty());
  EXPECT_TRUE(Record().views.empty());
  EXPECT_EQ(Record().contents, (std::vector<std::string>{"127.0.0.12"}));
}

TEST_F(LocalizeTest, ADisasterWhereAnAudienceIsServedBringsItBackAtOnceAndThenToTheNextNearest) {
  Put(Doc());
  Run(30);
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 20);
  Steer("sim-c", "frankfurt-1", 150);
  Run(40);
  ASSERT_EQ(Status("shop").audience_placements.at("abroad").provider, "sim-b");
  // sim-b goes down: its service does not answer Frankfurt's probes.
  probes_.down.insert("127.0.0.12");
  Run(4);
  auto back = Ops("delocalize");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, OperationState::kSucceeded) << back[0].reason;
  EXPECT_EQ(back[0].request["outage"], true);  // not held for the cooldown, recovered as outages are
  EXPECT_NE(back[0].request.value("reason", "").find("sim-b does not answer audience abroad"), std::string::npos) << back[0].request.dump();
  // Still far from sim-a: served from the next nearest that answers, sim-c (150 ms, below sim-a's 300).
  Run(30);
  auto localized = Ops("localize");
  ASSERT_EQ(localized.size(), 2u);
  const Operation& again = localized[0].created_at > localized[1].created_at ? localized[0] : localized[1];
  EXPECT_EQ(again.state, OperationState::kSucceeded) << again.reason;
  EXPECT_EQ(again.target, "sim-c");
  EXPECT_EQ(Status("shop").audience_placements.at("abroad").provider, "sim-c");
  EXPECT_EQ(Record().views.at(0).contents, (std::vector<std::string>{"127.0.0.13"}));
}

TEST_F(LocalizeTest, AnAudienceNoLongerDeclaredIsBroughtBack) {
  Put(Doc());
  Run(30);
  Steer("sim-a", "frankfurt-1", 300);
  Steer("sim-b", "frankfurt-1", 20);
  Run(40);
  ASSERT_EQ(Status("shop").audience_placements.count("abroad"), 1u);
  json doc = Doc();
  doc["audiences"].erase(1);
  Put(doc);
  Run(20);
  auto back = Ops("delocalize");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].state, OperationState::kSucceeded) << back[0].reason;
  EXPECT_TRUE(Status("shop").audience_placements.empty());
  EXPECT_TRUE(Record().views.empty());
  EXPECT_EQ(Instances("sim-b"), 0);
}

}  // namespace
}  // namespace icb
