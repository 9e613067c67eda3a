// A recovery never moves a workload twice: one another operation moved off
// the source is left where it is, one another operation holds is waited
// for, and a provider's workloads an unfinished recovery holds are not
// recovered again by a second detection (a broker restarted mid-recovery).
#include <gtest/gtest.h>

#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using testing::WorkloadDoc;

class RecoveryTest : public testing::ScheduledOrchestrationTest {
 protected:
  RecoveryTest() { StartOrchestrator(Options("broker-1")); }
  // Deploy and scale calls that changed something at `provider` for `service`.
  int EffectsFor(const std::string& provider, const std::string& service) {
    int n = 0;
    for (const auto& c : adapters_.compute(provider).Calls()) n += c.effect && c.service == service;
    return n;
  }
};

TEST_F(RecoveryTest, ASecondDetectionOfWorkloadsAnUnfinishedRecoveryHoldsStartsNothing) {
  for (const char* w : {"w1", "w2", "w3"}) Put(WorkloadDoc(w, 1, "fast", 1));
  Run(3);
  auto first = orchestrator_->StartRecovery("sim-a", {"w1", "w2", "w3"});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->empty());
  // A broker restarted before the recovery started its failovers detects
  // the three again: nothing new starts, and nothing is left to retry.
  auto again = orchestrator_->StartRecovery("sim-a", {"w3", "w1", "w2"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  Run(10);
  ASSERT_EQ(Ops("recovery").size(), 1u);
  EXPECT_EQ(Ops("recovery")[0].state, OperationState::kSucceeded) << Ops("recovery")[0].reason;
  EXPECT_EQ(Ops("failover").size(), 3u);
  for (const char* w : {"w1", "w2", "w3"}) {
    EXPECT_EQ(Status(w).placement, "sim-b") << w;
    EXPECT_EQ(EffectsFor("sim-b", w), 2) << w;  // one deploy, one scale
  }
}

TEST_F(RecoveryTest, ARecoveryWaitsForAnotherOperationAndLeavesWhatItMoved) {
  Put(WorkloadDoc("w1", 1, "fast", 1));
  Put(WorkloadDoc("w2", 2, "fast", 1));
  Run(3);
  // The recovery is recorded first; a manual failover takes w1 before the
  // recovery starts its child.
  ASSERT_TRUE(orchestrator_->StartRecovery("sim-a", {"w1", "w2"}).ok());
  auto manual = orchestrator_->StartFailover("w1", {"sim-c", "", "manual", "operator", {}});
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  Run(10);
  EXPECT_EQ(Status("w1").placement, "sim-c");
  EXPECT_EQ(Status("w2").placement, "sim-b");
  EXPECT_EQ(EffectsFor("sim-b", "w1"), 0);
  EXPECT_EQ(Ops("failover").size(), 2u);
  auto rec = Ops("recovery");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].state, OperationState::kSucceeded) << rec[0].reason;
  const auto& plan = rec[0].Step("await")->detail["plan"];
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0]["workload"], "w1");
  EXPECT_EQ(plan[0]["state"], "moved");
  EXPECT_EQ(plan[0]["target"], "sim-c");
  EXPECT_EQ(plan[1]["state"], "moving");
}

}  // namespace
}  // namespace icb
