// Every registry refuses a name registered twice: what runs under a name
// never depends on the order things registered in. Tests replace an entry
// only by saying so.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/core/named_registry.h"
#include "broker/orchestrator/engine/runner.h"
#include "broker/orchestrator/triggers/trigger.h"
#include "broker/ports/registry.h"
#include "broker/ranking/policy.h"
#include "broker/schema/validator.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

TEST(NamedRegistry, ASecondRegistrationIsRefusedAndTheFirstStays) {
  NamedRegistry<int> r("number");
  ASSERT_TRUE(r.Add("one", 1).ok());
  Status again = r.Add("one", 2);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "number \"one\" is registered already");
  EXPECT_EQ(*r.Find("one"), 1);
  EXPECT_EQ(r.Find("two"), nullptr);
  // Replacing says so, and only what is there.
  EXPECT_TRUE(r.ReplaceForTesting("one", 3).ok());
  EXPECT_EQ(*r.Find("one"), 3);
  EXPECT_EQ(r.ReplaceForTesting("two", 2).code(), StatusCode::kNotFound);
  EXPECT_EQ(r.Names(), std::vector<std::string>{"one"});
}

TEST(NamedRegistry, BuiltInRegistrationsStopTheProcessOnADuplicate) {
  EXPECT_DEATH(MustRegister(Status(StatusCode::kAlreadyExists, "operation kind \"failover\" is registered already")),
               "operation kind \"failover\" is registered already");
}

TEST(NamedRegistry, OperationKindsRefuseADuplicate) {
  OperationKinds kinds;
  auto run = [](const std::string&, const Operation&) { return StepOutcome::Done(); };
  ASSERT_TRUE(kinds.Register("failover", {{"a"}, run, {}}).ok());
  EXPECT_EQ(kinds.Register("failover", {{"b"}, run, {}}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(kinds.Find("failover")->steps, std::vector<std::string>{"a"});
  ASSERT_TRUE(kinds.ReplaceForTesting("failover", {{"c"}, run, {}}).ok());
  EXPECT_EQ(kinds.Find("failover")->steps, std::vector<std::string>{"c"});
}

TEST(NamedRegistry, PolicyAndTriggerRegistriesRefuseADuplicateOfABuiltIn) {
  PolicyRegistry policies;
  RegisterBuiltinPolicies(policies);
  const RankingPolicy* first = policies.Find("weighted_sum");
  EXPECT_EQ(policies.Register("weighted_sum", [] { return std::unique_ptr<RankingPolicy>(); }).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(policies.Find("weighted_sum"), first);
  TriggerRegistry triggers;
  RegisterBuiltinTriggerPolicies(triggers);
  EXPECT_EQ(triggers.Register("consecutive_failures", [] { return std::unique_ptr<TriggerPolicy>(); }).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(triggers.RegisterLoad("load", [] { return std::unique_ptr<LoadTriggerPolicy>(); }).code(), StatusCode::kAlreadyExists);
  EXPECT_NE(triggers.Find("consecutive_failures"), nullptr);
  EXPECT_NE(triggers.FindLoad("load"), nullptr);
}

TEST(NamedRegistry, AdapterRegistryRefusesADuplicatePerCapability) {
  auto schemas = SchemaSet::LoadEmbedded();
  ASSERT_TRUE(schemas.ok());
  AdapterRegistry registry(**schemas);
  RegisterBuiltinAdapters(registry);
  AdapterFactory<ObjectStore> none = [](const nlohmann::json&, AdapterContext&) -> Result<std::unique_ptr<ObjectStore>> {
    return Unavailable("none");
  };
  EXPECT_EQ(registry.Register<ObjectStore>("s3", none).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.NamesFor("object_storage"), (std::vector<std::string>{"azure_blob", "file", "s3"}));
}

// The orchestrator registers each kind once; what a failover does is its
// own kind's steps, whatever else registered.
using OrchestratorKinds = testing::OrchestrationTest;
TEST_F(OrchestratorKinds, AreEachRegisteredOnceWithTheirOwnSteps) {
  auto o = Make(*store_);
  EXPECT_EQ(o->kinds().Names(), (std::vector<std::string>{"burst", "delocalize", "failover", "localize", "migration", "place", "recovery", "replication", "scale_back"}));
  EXPECT_EQ(o->kinds().Find("localize")->steps, (std::vector<std::string>{"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify"}));
  EXPECT_EQ(o->kinds().Find("delocalize")->steps, (std::vector<std::string>{"switch_dns", "release_capacity"}));
  EXPECT_EQ(o->kinds().Find("failover")->steps,
            (std::vector<std::string>{"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify", "drain_source"}));
}

}  // namespace
}  // namespace icb
