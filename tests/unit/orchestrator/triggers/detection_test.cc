// Detection and priority-based disaster recovery on the memory fakes and a
// manual clock: the consecutive_failures trigger (blips, quorum, recovery),
// the detector probing at each workload's interval through the scheduler,
// and one recovery operation placing a provider's workloads in priority
// order within the room there is.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "policies/consecutive_failures.h"
#include "broker/orchestrator/triggers/detector.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabCatalog;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::WorkloadDoc;

const TimePoint kDetectT0 = *ParseRfc3339("2026-12-01T00:00:00Z");

std::vector<VantageSample> Outcomes(const std::string& outcomes) {
  std::vector<VantageSample> out;
  for (size_t i = 0; i < outcomes.size(); ++i) out.push_back({kDetectT0 + Millis(1000 * i), outcomes[i] == '+', outcomes[i] == '+' ? 200 : 503, "", {}});
  return out;
}

TEST(ConsecutiveFailures, BlipsNeverCountAndAQuorumOfVantagesDecides) {
  ConsecutiveFailuresTrigger t;
  FailoverSettings s;  // failures 3, recoveries 2, quorum: majority
  EXPECT_EQ(t.Evaluate({{"local", Outcomes("++--+")}}, s, false).verdict, Verdict::kUnchanged);  // a blip of 2
  EXPECT_TRUE(t.Evaluate({{"local", Outcomes("++--+")}}, s, false).inputs.empty());  // nothing to record
  EXPECT_EQ(t.Evaluate({{"local", Outcomes("+++--")}}, s, false).verdict, Verdict::kUnchanged);
  auto failed = t.Evaluate({{"local", Outcomes("++---")}}, s, false);
  EXPECT_EQ(failed.verdict, Verdict::kFailed);
  EXPECT_EQ(failed.inputs["vantages"]["local"]["samples"].size(), 3u);  // the failing samples
  // Already failed: more failures change nothing; two successes recover.
  EXPECT_EQ(t.Evaluate({{"local", Outcomes("-----")}}, s, true).verdict, Verdict::kUnchanged);
  EXPECT_EQ(t.Evaluate({{"local", Outcomes("----+")}}, s, true).verdict, Verdict::kUnchanged);
  EXPECT_EQ(t.Evaluate({{"local", Outcomes("---++")}}, s, true).verdict, Verdict::kRecovered);
  // One vantage of three that cannot reach it is outvoted; two are a majority.
  EXPECT_EQ(t.Evaluate({{"a", Outcomes("---")}, {"b", Outcomes("+++")}, {"c", Outcomes("+++")}}, s, false).verdict, Verdict::kUnchanged);
  auto two = t.Evaluate({{"a", Outcomes("---")}, {"b", Outcomes("+---")}, {"c", Outcomes("+++")}}, s, false);
  EXPECT_EQ(two.verdict, Verdict::kFailed);
  EXPECT_EQ(two.inputs["quorum"], 2);
  EXPECT_EQ(two.inputs["failing"], 2);
  // A quorum of 1 set by the workload: any vantage decides.
  s.quorum = 1;
  EXPECT_EQ(t.Evaluate({{"a", Outcomes("---")}, {"b", Outcomes("+++")}, {"c", Outcomes("+++")}}, s, false).verdict, Verdict::kFailed);
  EXPECT_EQ(t.Evaluate({}, s, false).verdict, Verdict::kUnchanged);  // nobody reported
}

TEST(ConsecutiveFailures, NeedsTheLongestRunItLooksFor) {
  ConsecutiveFailuresTrigger t;
  FailoverSettings s;
  EXPECT_EQ(t.SamplesNeeded(s), 3u);  // failures 3, recoveries 2
  s.recoveries = 7;
  EXPECT_EQ(t.SamplesNeeded(s), 7u);
  s.failures = 100;  // the schema's most
  EXPECT_EQ(t.SamplesNeeded(s), 100u);
}

class DetectionTest : public testing::ScheduledOrchestrationTest {
 protected:
  DetectionTest() {
    StartOrchestrator(Options("broker-1"));
    detector_ = std::make_unique<Detector>(scheduler_, clock_, probes_, orchestrator_->workloads(), *triggers_.Find("consecutive_failures"), *orchestrator_,
                                           DetectorOptions{});
    detector_->Start();
  }
  ~DetectionTest() override { detector_->Stop(); }

  std::unique_ptr<Detector> detector_;
};

TEST_F(DetectionTest, AnOutageIsDetectedOnceAndFailedOverAutomaticallyABlipNever) {
  Put(WorkloadDoc("shop"));
  Run(3);
  ASSERT_EQ(Status("shop").url, "http://127.0.0.11:8000/");
  // Two failed probes (a blip): no detection, no failover.
  probes_.down.insert("127.0.0.11");
  Run(2);
  probes_.down.clear();
  Run(5);
  EXPECT_TRUE(Ops("failover").empty());
  EXPECT_TRUE(Events("detected").empty());
  // An outage: three in a row, then one failover, one detection.
  probes_.down.insert("127.0.0.11");
  Run(10);
  auto failovers = Ops("failover");
  ASSERT_EQ(failovers.size(), 1u);
  EXPECT_EQ(failovers[0].state, OperationState::kSucceeded) << failovers[0].reason;
  EXPECT_EQ(failovers[0].request["trigger"], "automatic");
  EXPECT_EQ(failovers[0].target, "sim-b");
  auto detected = Events("detected");
  ASSERT_EQ(detected.size(), 1u);
  EXPECT_EQ(detected[0].workload, "shop");
  EXPECT_EQ(detected[0].provider, "sim-a");
  EXPECT_EQ(detected[0].inputs["vantages"]["local"]["samples"].size(), 3u);
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.12");
  // The failover carries when the outage was detected; the switch is
  // counted from there.
  EXPECT_EQ(failovers[0].request.value("detected_at", ""), FormatRfc3339(detected[0].at));
  EXPECT_EQ(detection_to_switch_.Cumulative().back(), 1u);
  EXPECT_DOUBLE_EQ(detection_to_switch_.sum(), std::chrono::duration<double>(*failovers[0].Step("switch_dns")->ended_at - detected[0].at).count());
  EXPECT_GT(detection_to_switch_.sum(), 0);
  // The new placement is watched; sim-a coming back moves nothing (no failback).
  probes_.down.clear();
  Run(10);
  EXPECT_EQ(Ops("failover").size(), 1u);
  EXPECT_EQ(Status("shop").placement, "sim-b");
}

TEST_F(DetectionTest, ARunLongerThanAnyFixedWindowIsDetectedAndOnlyItIsKept) {
  // failures 40: the detector keeps as many samples as the policy needs
  // (no fixed cap below what a workload may ask for).
  json doc = WorkloadDoc("shop");
  doc["failover"]["failures"] = 40;
  Put(doc);
  Run(3);
  probes_.down.insert("127.0.0.11");
  Run(39);
  EXPECT_TRUE(Events("detected").empty());
  Run(10);
  auto detected = Events("detected");
  ASSERT_EQ(detected.size(), 1u);
  EXPECT_EQ(detected[0].inputs["vantages"]["local"]["samples"].size(), 40u);
  EXPECT_EQ(detected[0].inputs["vantages"]["local"]["in_a_row"], 40);
}

TEST_F(DetectionTest, OtherVantagesOutvoteALocalFailureAndConfirmARealOne) {
  json doc = WorkloadDoc("shop");
  Put(doc);
  Run(3);
  // Only the broker's own vantage fails: two pushing vantages still reach it.
  probes_.down.insert("127.0.0.11");
  for (int s = 0; s < 6; ++s) {
    Run(1);
    std::vector<VantageSample> ok = {{clock_.Now(), true, 200, "", 5.0}};
    ASSERT_TRUE(detector_->Push("shop", "seoul", ok).ok());
    ASSERT_TRUE(detector_->Push("shop", "busan", ok).ok());
  }
  EXPECT_TRUE(Ops("failover").empty());
  // They fail too: a majority, so it is detected.
  for (int s = 0; s < 4; ++s) {
    Run(1);
    std::vector<VantageSample> bad = {{clock_.Now(), false, 503, "status", {}}};
    ASSERT_TRUE(detector_->Push("shop", "seoul", bad).ok());
  }
  Run(5);
  ASSERT_EQ(Ops("failover").size(), 1u);
  EXPECT_EQ(Events("detected").at(0).inputs["failing"], 2);
  EXPECT_EQ(detector_->Push("nope", "seoul", {}).code(), StatusCode::kNotFound);
}

TEST_F(DetectionTest, ADisasterIsRecoveredInPriorityOrderWithinTheRoomThereIs) {
  // Six workloads of three priorities on sim-a, 3 instances each; sim-b and
  // sim-c have room for two each: the four highest are placed.
  const std::vector<std::tuple<std::string, int, std::string>> six = {
      {"w1", 1, "fast"}, {"w2", 1, "quality"}, {"w3", 2, "fast"}, {"w4", 2, "quality"}, {"w5", 3, "fast"}, {"w6", 3, "quality"}};
  for (const auto& [id, prio, klass] : six) Put(WorkloadDoc(id, prio, klass, 3));
  Run(3);
  for (const auto& [id, prio, klass] : six) ASSERT_FALSE(Status(id).url.empty()) << id;
  adapters_.compute("sim-b").SetCapacity(6);
  adapters_.compute("sim-c").SetCapacity(6);
  probes_.down.insert("127.0.0.11");
  Run(40);  // detection, then the quality ones left over wait out their RTO (30 s)
  auto recoveries = Ops("recovery");
  ASSERT_EQ(recoveries.size(), 1u);
  const Operation& rec = recoveries[0];
  EXPECT_EQ(rec.workloads.size(), 6u);
  EXPECT_EQ(rec.state, OperationState::kFailed);  // two are left without a target
  EXPECT_NE(rec.reason.find("2 of 6 workloads unplaced: w5, w6"), std::string::npos) << rec.reason;
  for (const char* w : {"w1", "w2", "w3", "w4"}) {
    EXPECT_NE(Status(w).placement, "sim-a") << w;
    EXPECT_EQ(Status(w).state, "running") << w;
  }
  // Priority 1 took the best-ranked target (sim-b), priority 2 the next.
  EXPECT_EQ(Status("w1").placement, "sim-b");
  EXPECT_EQ(Status("w2").placement, "sim-b");
  EXPECT_EQ(Status("w3").placement, "sim-c");
  EXPECT_EQ(Status("w4").placement, "sim-c");
  for (const char* w : {"w5", "w6"}) {
    EXPECT_EQ(Status(w).placement, "sim-a") << w;
    EXPECT_EQ(Status(w).state, "unplaced") << w;
  }
  auto unplaced = Events("unplaced");
  ASSERT_EQ(unplaced.size(), 2u);
  for (const auto& e : unplaced) {
    EXPECT_TRUE(e.workload == "w5" || e.workload == "w6") << e.workload;
    ASSERT_EQ(e.inputs["candidates"].size(), 2u);
    for (const auto& c : e.inputs["candidates"]) EXPECT_NE(c["reasons"][0].get<std::string>().find("no capacity"), std::string::npos);
  }
  EXPECT_EQ(Events("detected").size(), 6u);  // one per workload
  EXPECT_EQ(Ops("failover").size(), 4u);    // one per placed workload
  // The recovery and each of its failovers carry the first detection's time.
  TimePoint first = Events("detected")[0].at;
  for (const auto& e : Events("detected")) first = std::min(first, e.at);
  EXPECT_EQ(rec.request.value("detected_at", ""), FormatRfc3339(first));
  for (const auto& f : Ops("failover")) EXPECT_EQ(f.request.value("detected_at", ""), FormatRfc3339(first)) << f.workload;
  EXPECT_EQ(detection_to_switch_.Cumulative().back(), 4u);
}

TEST_F(DetectionTest, AQualityWorkloadWaitsForItsBestTargetWithoutLosingItsRoom) {
  // w1 (priority 1, quality) wants sim-b, which is full; w2 (priority 2,
  // fast) must not take the room w1 would fall back on at sim-c.
  Put(WorkloadDoc("w1", 1, "quality"));
  Put(WorkloadDoc("w2", 2, "fast"));
  Run(3);
  adapters_.compute("sim-b").SetCapacity(0);
  adapters_.compute("sim-c").SetCapacity(4);
  probes_.down.insert("127.0.0.11");
  Run(8);
  auto rec = Ops("recovery");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].state, OperationState::kWaiting);
  EXPECT_EQ(Status("w2").state, "unplaced");  // sim-c's room is kept for w1
  // sim-b gets room before w1's RTO is spent: w1 takes its best target,
  // and w2, unplaced so far, is planned again (on every look: level
  // triggered) and now has room at the best-ranked target too.
  adapters_.compute("sim-b").SetCapacity(100);
  Run(5);
  EXPECT_EQ(Status("w1").placement, "sim-b");
  EXPECT_EQ(Status("w2").placement, "sim-b");
  EXPECT_EQ(Status("w2").state, "running");
  EXPECT_EQ(Ops("recovery")[0].state, OperationState::kSucceeded) << Ops("recovery")[0].reason;
}

TEST_F(DetectionTest, DetectionsCloseTogetherAreOneDisasterUntilQuietOrTheCap) {
  // Detections one second apart (failures 3 to 8 at 1 s probes): a group
  // gathers while detections keep coming within the quiet time (1.5 s here)
  // and for at most the cap (2.5 s) after its first.
  detector_->Stop();
  DetectorOptions options;
  options.group_quiet = Millis(1500);
  options.group_max = Millis(2500);
  detector_ = std::make_unique<Detector>(scheduler_, clock_, probes_, orchestrator_->workloads(), *triggers_.Find("consecutive_failures"), *orchestrator_, options);
  detector_->Start();
  const std::vector<std::pair<std::string, int>> detected_after = {{"w1", 3}, {"w2", 4}, {"w3", 5}, {"w4", 6}, {"w5", 8}};
  for (const auto& [id, failures] : detected_after) {
    json doc = WorkloadDoc(id, 1, "fast", 1);
    doc["failover"] = {{"automatic", true}, {"interval_s", 1}, {"failures", failures}};
    Put(doc);
  }
  Run(3);
  for (const auto& [id, failures] : detected_after) ASSERT_FALSE(Status(id).url.empty()) << id;
  probes_.down.insert("127.0.0.11");
  Run(15);
  std::vector<std::vector<std::string>> groups;
  for (const auto& op : Ops("recovery")) {
    groups.push_back(op.workloads);
    EXPECT_EQ(op.state, OperationState::kSucceeded) << op.reason;
  }
  // A group of one is failed over directly.
  for (const auto& op : Ops("failover")) {
    if (op.request.value("reason", "").rfind("detected", 0) == 0) groups.push_back({op.workload});
    EXPECT_EQ(op.state, OperationState::kSucceeded) << op.reason;
  }
  std::sort(groups.begin(), groups.end());
  // w1-w3 within the cap of w1's detection; w4 quiet-close to w3 but past
  // the cap; w5 two seconds after w4, past the quiet time.
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"w1", "w2", "w3"}, {"w4"}, {"w5"}}));
}

}  // namespace
}  // namespace icb
