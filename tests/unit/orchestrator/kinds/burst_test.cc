// Burst offload on the memory fakes and a manual clock: the burst and
// scale_back kinds (capacity borrowed at the best-ranked secondary, the
// split's weights), and the controller driven through the scheduler by load
// that swings around the threshold, counting operations (no flapping).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "policies/load_trigger.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabBalancer;
using testing::AddLabCatalog;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::WorkloadDoc;

const TimePoint kBurstT0 = *ParseRfc3339("2026-12-01T00:00:00Z");


class BurstTest : public testing::ScheduledOrchestrationTest {
 protected:
  BurstTest() {
    AddLabBalancer(catalog_);
    OrchestratorOptions options = Options("broker-1");
    options.load_policy = triggers_.FindLoad("load");
    StartOrchestrator(options);
  }
  static json Doc(const std::string& id, const json& burst) {
    json w = WorkloadDoc(id, 1, "fast", 4);
    w["failover"] = {{"automatic", false}};
    w["split"] = {{"provider", "lab-lb"}, {"servers", {{"sim-a", "sim-a"}, {"sim-b", "sim-b"}, {"sim-c", "sim-c"}}}};
    w["burst"] = burst;
    return w;
  }
  int Instances(const std::string& provider, const std::string& service) {
    auto s = adapters_.compute(provider).State();
    const ServiceInstances* svc = s->Find(service);
    return svc ? svc->instances : 0;
  }
  using Weights = std::map<std::string, int>;
};

TEST_F(BurstTest, ABurstNeedsASplitNamingThePlacementAndASecondary) {
  json no_split = Doc("shop", {{"p95_ms_above", 100}});
  no_split.erase("split");
  auto put = workloads_.Put("shop", no_split);
  EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(put.status().errors().at(0).pointer, "/burst");
  json alone = Doc("shop", {{"p95_ms_above", 100}});
  alone["split"]["servers"] = {{"sim-a", "sim-a"}};
  put = workloads_.Put("shop", alone);
  EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(put.status().errors().at(0).pointer, "/split/servers");
  json elsewhere = Doc("shop", {{"p95_ms_above", 100}});
  elsewhere["split"]["servers"] = {{"sim-b", "sim-b"}, {"sim-c", "sim-c"}};
  EXPECT_EQ(workloads_.Put("shop", elsewhere).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BurstTest, LoadSwingingAroundTheThresholdBurstsOnceAndScalesBackOnceAfterTheCooldown) {
  Put(Doc("shop", {{"p95_ms_above", 100}, {"window_s", 30}, {"share_percent", 40}}));  // cooldown: the default 300 s
  Run(3);
  ASSERT_EQ(Status("shop").state, "running");
  // Placed with all of its weight on its placement.
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 100}, {"sim-b", 0}, {"sim-c", 0}}));
  Run(60);  // calm: nothing happens
  EXPECT_TRUE(Ops("burst").empty());
  // The placement slows down: p95 over 30 s goes above 100 ms.
  probes_.latency_ms["127.0.0.11"] = 250;
  Run(40);
  auto bursts = Ops("burst");
  ASSERT_EQ(bursts.size(), 1u);
  EXPECT_EQ(bursts[0].state, OperationState::kSucceeded) << bursts[0].reason;
  EXPECT_EQ(bursts[0].target, "sim-b");  // the best-ranked secondary with room
  EXPECT_EQ(Status("shop").state, "bursting");
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 60}, {"sim-b", 40}, {"sim-c", 0}}));
  EXPECT_EQ(Instances("sim-b", "shop"), 4);  // instances borrowed
  auto started = Events("burst_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_GT(started[0].inputs["p95_ms"].get<double>(), 100);
  // Load swings: 60 s high, 120 s low, ten times. Each calm spell is
  // shorter than the cooldown: no scale back, and no second burst.
  for (int i = 0; i < 10; ++i) {
    probes_.latency_ms["127.0.0.11"] = 250;
    Run(60);
    probes_.latency_ms["127.0.0.11"] = 20;
    Run(120);
  }
  EXPECT_EQ(Ops("burst").size(), 1u);
  EXPECT_TRUE(Ops("scale_back").empty());
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 60}, {"sim-b", 40}, {"sim-c", 0}}));
  // Calm for good: after the window and the cooldown, one scale back.
  Run(240);
  auto backs = Ops("scale_back");
  ASSERT_EQ(backs.size(), 1u);
  EXPECT_EQ(backs[0].state, OperationState::kSucceeded) << backs[0].reason;
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 100}, {"sim-b", 0}, {"sim-c", 0}}));
  EXPECT_EQ(Instances("sim-b", "shop"), 0);  // back to what it ran before
  EXPECT_EQ(Status("shop").state, "running");
  EXPECT_EQ(Events("burst_ended").size(), 1u);
  Run(600);
  EXPECT_EQ(Ops("burst").size(), 1u);
  EXPECT_EQ(Ops("scale_back").size(), 1u);
  // A new spike is a new burst.
  probes_.latency_ms["127.0.0.11"] = 400;
  Run(40);
  EXPECT_EQ(Ops("burst").size(), 2u);
}

TEST_F(BurstTest, UtilisationFromTheComputeAdapterBurstsToASecondaryWithRoom) {
  // sim-b has no room: the burst goes to sim-c, the next one ranked.
  adapters_.compute("sim-b").SetCapacity(2);
  Put(Doc("api", {{"utilization_above", 75}, {"window_s", 20}, {"share_percent", 25}, {"cooldown_s", 60}}));
  Run(3);
  adapters_.compute("sim-a").SetUtilization(90);
  Run(30);
  auto bursts = Ops("burst");
  ASSERT_EQ(bursts.size(), 1u);
  EXPECT_EQ(bursts[0].state, OperationState::kSucceeded) << bursts[0].reason;
  EXPECT_EQ(bursts[0].target, "sim-c");
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 75}, {"sim-b", 0}, {"sim-c", 25}}));
  const auto candidates = bursts[0].Step("choose_target")->detail["candidates"];
  EXPECT_EQ(candidates[0]["provider"], "sim-b");
  EXPECT_FALSE(candidates[0]["reasons"].empty());  // no capacity
  adapters_.compute("sim-a").SetUtilization(40);
  Run(100);  // window + the 60 s cooldown
  ASSERT_EQ(Ops("scale_back").size(), 1u);
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 100}, {"sim-b", 0}, {"sim-c", 0}}));
  EXPECT_EQ(Instances("sim-c", "api"), 0);
}

TEST_F(BurstTest, ASecondaryThatTakesTheInstancesButDoesNotAnswerGetsThemBackAndTheBurstGoesOn) {
  Put(Doc("api", {{"utilization_above", 75}, {"window_s", 20}, {"share_percent", 25}, {"cooldown_s", 60}}));
  Run(3);
  probes_.down.insert("127.0.0.12");  // sim-b's service does not answer
  adapters_.compute("sim-a").SetUtilization(90);
  Run(30);
  auto bursts = Ops("burst");
  ASSERT_EQ(bursts.size(), 1u);
  EXPECT_EQ(bursts[0].state, OperationState::kSucceeded) << bursts[0].reason;
  EXPECT_EQ(bursts[0].target, "sim-c");
  EXPECT_EQ(Instances("sim-b", "api"), 0);  // given back: what it ran before
  const json& given = bursts[0].Step("choose_target")->detail["given_back"];
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0]["provider"], "sim-b");
  EXPECT_EQ(given[0]["from"], 4);
  EXPECT_EQ(given[0]["to"], 0);
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 75}, {"sim-b", 0}, {"sim-c", 25}}));
  EXPECT_EQ(Instances("sim-c", "api"), 4);
}

TEST_F(BurstTest, AWorkloadThatFailsOverWhileBurstIsScaledBackToItsNewPlacement) {
  Put(Doc("shop", {{"p95_ms_above", 100}, {"window_s", 10}, {"share_percent", 50}}));
  Run(3);
  probes_.latency_ms["127.0.0.11"] = 300;
  Run(20);
  ASSERT_EQ(Ops("burst").size(), 1u);
  ASSERT_EQ(Ops("burst")[0].target, "sim-b");
  // sim-a goes down; the operator fails over to sim-c.
  FailoverRequest r;
  r.to = "sim-c";
  ASSERT_TRUE(orchestrator_->StartFailover("shop", r).ok());
  Run(10);
  ASSERT_EQ(Ops("failover").at(0).state, OperationState::kSucceeded) << Ops("failover").at(0).reason;
  Run(5);
  // The burst no longer fits: every weight on sim-c, sim-b's borrowed instances given back.
  auto backs = Ops("scale_back");
  ASSERT_EQ(backs.size(), 1u);
  EXPECT_EQ(backs[0].state, OperationState::kSucceeded) << backs[0].reason;
  EXPECT_EQ(adapters_.Weights(), (Weights{{"sim-a", 0}, {"sim-b", 0}, {"sim-c", 100}}));
  EXPECT_EQ(Instances("sim-b", "shop"), 0);
  EXPECT_EQ(Status("shop").placement, "sim-c");
  EXPECT_EQ(Status("shop").state, "running");
}

// Kill after 0, 1, 2, ... writes of a burst and then of its scale back
// until a broker lives through both: every write point is a kill point, and
// each provider effect happens once.
TEST(BurstKill, ABrokerKilledAtAnyWriteOfABurstOrScaleBackLeavesEachEffectOnce) {
  PolicyRegistry policies;
  RegisterBuiltinPolicies(policies);
  TriggerRegistry triggers;
  RegisterBuiltinTriggerPolicies(triggers);
  int writes = 0;
  for (int dies_after = 0;; ++dies_after) {
    SCOPED_TRACE("killed after " + std::to_string(dies_after) + " writes");
    ManualClock clock(kBurstT0);
    auto base = NewMemoryStore(&clock);
    Catalog catalog(*base, *SchemaSet::LoadEmbedded());
    AddLabCatalog(catalog);
    AddLabBalancer(catalog);
    WorkloadCatalog workloads(catalog, *base, clock);
    FakeAdapters adapters;
    FakeProbes probes;
    auto deps = [&](Store& st) { return WorkloadKindDeps{st, catalog, adapters, probes, policies, nullptr, clock, Millis(1000)}; };
    OrchestratorOptions options{"broker-0", Millis(3000), Millis(5000)};
    options.load_policy = triggers.FindLoad("load");
    json doc = WorkloadDoc("shop", 1, "fast", 4);
    doc["failover"] = {{"automatic", false}};
    doc["split"] = {{"provider", "lab-lb"}, {"servers", {{"sim-a", "sim-a"}, {"sim-b", "sim-b"}}}};
    doc["burst"] = {{"p95_ms_above", 100}, {"window_s", 4}, {"share_percent", 30}, {"cooldown_s", 2}};
    ASSERT_TRUE(workloads.Put("shop", doc).ok());
    // Samples a second apart on a live broker until it starts an operation of `kind`.
    auto start = [&](Orchestrator& o, const char* kind) {
      for (int i = 0; i < 20; ++i) {
        o.burst()->Sample("shop");
        auto ids = OperationStore(*base).OfWorkload("shop");
        for (const auto& id : *ids)
          if (OperationStore(*base).Get(id)->value().kind == kind && !Finished(OperationStore(*base).Get(id)->value().state)) return id;
        clock.Advance(Millis(1000));
      }
      return std::string();
    };
    // A broker that dies after `n` writes, then the next one that finishes.
    auto run_dying = [&](int n, const std::string& broker) {
      clock.Advance(Millis(3001));
      testing::DyingStore dying(*base, n);
      OrchestratorOptions o = options;
      o.broker_id = broker;
      Orchestrator second(deps(dying), o);
      second.runner().Tick();
      const bool lived = !dying.dead();
      clock.Advance(Millis(3001));
      o.broker_id = broker + "-next";
      Orchestrator third(deps(*base), o);
      for (int i = 0; i < 5; ++i) {
        third.runner().Tick();
        clock.Advance(Millis(1000));
      }
      return lived;
    };
    std::string burst_id, back_id;
    {
      Orchestrator first(deps(*base), options);
      first.burst()->Follow();
      ASSERT_TRUE(first.Reconcile().ok());
      first.runner().Tick();
      probes.latency_ms["127.0.0.11"] = 300;
      burst_id = start(first, "burst");
      ASSERT_FALSE(burst_id.empty());
    }
    const int sets_before = adapters.split_sets;
    const bool burst_lived = run_dying(dies_after, "broker-1");
    Operation burst = OperationStore(*base).Get(burst_id)->value();
    ASSERT_EQ(burst.state, OperationState::kSucceeded) << burst.reason;
    EXPECT_EQ(adapters.Effects("sim-b"), 2);  // deployed once, scaled once
    EXPECT_EQ(adapters.split_sets - sets_before, 1);  // the weights set once
    EXPECT_EQ(adapters.Weights()["sim-b"], 30);
    {
      OrchestratorOptions o = options;
      o.broker_id = "broker-3";
      clock.Advance(Millis(3001));
      Orchestrator fourth(deps(*base), o);
      fourth.burst()->Follow();
      probes.latency_ms["127.0.0.11"] = 5;
      back_id = start(fourth, "scale_back");
      ASSERT_FALSE(back_id.empty());
    }
    const int sets_between = adapters.split_sets;
    const bool back_lived = run_dying(dies_after, "broker-4");
    Operation back = OperationStore(*base).Get(back_id)->value();
    ASSERT_EQ(back.state, OperationState::kSucceeded) << back.reason;
    EXPECT_EQ(adapters.Effects("sim-b"), 3);  // and scaled back once
    EXPECT_EQ(adapters.split_sets - sets_between, 1);
    EXPECT_EQ(adapters.Weights()["sim-a"], 100);
    EXPECT_EQ(GetWorkloadStatus(*base, "shop")->value().state, "running");
    EXPECT_EQ(OperationStore(*base).OfWorkload("shop")->size(), 3u);  // place, burst, scale_back
    if (burst_lived && back_lived) {
      writes = dies_after;
      break;
    }
  }
  EXPECT_GE(writes, 8);  // every write point of both was a kill point
  std::printf("burst and scale back: killed at each of %d write points, each effect once\n", writes);
}

}  // namespace
}  // namespace icb
