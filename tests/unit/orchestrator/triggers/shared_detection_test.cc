// Detection shared by brokers on one store (DetectorOptions::replicas), on
// the memory fakes and a manual clock: each workload is probed by one
// broker at a time; a broker's death moves its workloads to the others,
// who go on from the samples it stored instead of detecting afresh; samples
// pushed to a broker that does not own a workload reach the one that does;
// and a disaster detected by both is one recovery, started by the leader.
#include <gtest/gtest.h>

#include <array>

#include "broker/orchestrator/triggers/detector.h"
#include "broker/store/replica_set.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using testing::FakeProbes;
using testing::WorkloadDoc;

// Counts the probes one broker starts, by workload (the target's endpoint
// is "workload:ID"), and answers them as the shared fake does.
class CountingProbes final : public AsyncProbeRunner {
 public:
  explicit CountingProbes(FakeProbes& fake) : fake_(fake) {}
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    ++by_workload[target->endpoint.substr(target->endpoint.find(':') + 1)];
    done(fake_.Run(*target));
  }
  std::map<std::string, int> by_workload;

 private:
  FakeProbes& fake_;
};

class SharedDetectionTest : public testing::ReplicatedOrchestrationTest {
 protected:
  // Broker r1 leads (its orchestrator takes the lease first); r2 runs an
  // orchestrator of its own that does not.
  SharedDetectionTest() {
    StartOrchestrator(Options(BrokerId(0)));
    while (scheduler_.RunDue() > 0) {
    }
    AddReplicas();
    for (int i = 0; i < kBrokers; ++i) {
      if (i > 0) {
        followers_.push_back(std::make_unique<Orchestrator>(Deps(*store_), Options(BrokerId(i))));
        followers_.back()->Start(*schedulers_[i]);
      }
      Orchestrator& orchestrator = i == 0 ? *orchestrator_ : *followers_.back();
      counted_[i] = std::make_unique<CountingProbes>(probes_);
      DetectorOptions o;
      o.replicas = replicas_[i].get();
      detectors_[i] = std::make_unique<Detector>(*schedulers_[i], clock_, *counted_[i], orchestrator.workloads(),
                                                 *triggers_.Find("consecutive_failures"), orchestrator, o);
      detectors_[i]->Start();
    }
  }
  ~SharedDetectionTest() override {
    for (auto& d : detectors_) d->Stop();
    for (auto& f : followers_) f->Stop();
  }
  // A SIGKILL: it neither probes nor beats again.
  void Kill(int i) {
    detectors_[i]->Stop();
    if (i > 0) followers_[static_cast<size_t>(i - 1)]->Stop();
    alive_[i] = false;
  }
  void ResetCounts() {
    for (auto& c : counted_) c->by_workload.clear();
  }

  std::vector<std::unique_ptr<Orchestrator>> followers_;
  std::array<std::unique_ptr<CountingProbes>, kBrokers> counted_;
  std::array<std::unique_ptr<Detector>, kBrokers> detectors_;
};

TEST_F(SharedDetectionTest, EachWorkloadIsProbedByOneBrokerAndADeadOnesShareMoves) {
  std::vector<std::string> ids;
  for (int k = 0; k < 12; ++k) {
    ids.push_back("w" + std::to_string(k));
    Put(WorkloadDoc(ids.back(), 1, "fast", 1));
  }
  RunAll(8);  // placed, and both brokers have read each other
  ResetCounts();
  RunAll(10);
  std::array<int, kBrokers> owned{};
  for (const auto& id : ids) {
    const int by1 = counted_[0]->by_workload[id], by2 = counted_[1]->by_workload[id];
    EXPECT_TRUE((by1 > 0) != (by2 > 0)) << id << ": " << by1 << " and " << by2;  // one broker, never both
    EXPECT_GE(by1 + by2, 9) << id;                                            // and every second
    ++owned[by1 > 0 ? 0 : 1];
  }
  EXPECT_GT(owned[0], 0);
  EXPECT_GT(owned[1], 0);

  Kill(1);
  RunAll(7);  // its heartbeat expired 5 s after its last
  ResetCounts();
  RunAll(5);
  for (const auto& id : ids) EXPECT_GE(counted_[0]->by_workload[id], 4) << id;  // none forgotten
}

TEST_F(SharedDetectionTest, TheBrokerTakingAWorkloadOverGoesOnFromTheSamplesStored) {
  // Probed every 2 s, failed after 3 failures in a row.
  nlohmann::json doc = WorkloadDoc(OwnedBy(1, "shop"), 1, "fast", 1);
  doc["failover"] = {{"automatic", true}, {"interval_s", 2}, {"failures", 3}, {"recoveries", 2}};
  const std::string id = doc["id"];
  Put(doc);
  RunAll(8);  // placed, and both brokers have read each other
  ResetCounts();
  RunAll(4);
  ASSERT_GT(counted_[1]->by_workload[id], 0);
  ASSERT_EQ(counted_[0]->by_workload[id], 0);
  // Two failures seen by its owner, which then dies.
  probes_.down.insert("127.0.0.11");
  const int before = counted_[1]->by_workload[id];
  RunAll(1);
  while (counted_[1]->by_workload[id] < before + 2) RunAll(1);
  Kill(1);
  const TimePoint killed = clock_.Now();
  EXPECT_TRUE(Events("detected").empty());
  // The other broker takes it over within the dead one's expiry and
  // detects the outage at its first failed probe: three in a row, two of
  // them its predecessor's.
  RunAll(8);
  ASSERT_EQ(Events("detected").size(), 1u);
  const auto samples = Events("detected")[0].inputs["vantages"]["local"]["samples"];
  ASSERT_EQ(samples.size(), 3u);
  int before_the_kill = 0;
  for (const auto& sample : samples) before_the_kill += *ParseRfc3339(sample["ts"].get<std::string>()) < killed;
  EXPECT_EQ(before_the_kill, 2);  // its predecessor's two, and one of its own
  RunAll(10);
  ASSERT_EQ(Ops("failover").size(), 1u);
}

TEST_F(SharedDetectionTest, SamplesPushedToABrokerThatDoesNotOwnTheWorkloadReachItsOwner) {
  const std::string id = OwnedBy(1, "shop");
  Put(WorkloadDoc(id, 1, "fast", 1));
  RunAll(8);
  probes_.down.insert("127.0.0.11");  // the owner's own vantage fails ...
  for (int s = 0; s < 6; ++s) {
    RunAll(1);
    std::vector<VantageSample> ok = {{clock_.Now(), true, 200, "", 5.0}};
    ASSERT_TRUE(detectors_[0]->Push(id, "seoul", ok).ok());  // ... pushed to the other broker, which does not watch it
    ASSERT_TRUE(detectors_[0]->Push(id, "busan", ok).ok());
  }
  EXPECT_TRUE(Ops("failover").empty());  // two vantages outvoted the owner's
  for (int s = 0; s < 4; ++s) {
    RunAll(1);
    std::vector<VantageSample> bad = {{clock_.Now(), false, 503, "status", {}}};
    ASSERT_TRUE(detectors_[0]->Push(id, "seoul", bad).ok());
  }
  RunAll(5);
  ASSERT_EQ(Ops("failover").size(), 1u);
  EXPECT_EQ(Events("detected").at(0).inputs["failing"], 2);
  EXPECT_EQ(detectors_[0]->Push("nope", "seoul", {}).code(), StatusCode::kNotFound);
}

TEST_F(SharedDetectionTest, TheStoredDetectionStateOfADeletedWorkloadIsRemoved) {
  const std::string gone = OwnedBy(1, "gone"), kept = OwnedBy(0, "kept");
  Put(WorkloadDoc(gone, 1, "fast", 1));
  Put(WorkloadDoc(kept, 1, "fast", 1));
  RunAll(8);
  ASSERT_TRUE(detectors_[0]->Push(gone, "seoul", {{clock_.Now(), true, 200, "", 5.0}}).ok());
  RunAll(2);
  auto stored = [&](const std::string& id) { return store_->HashGetAll("icb:detect:" + id)->size(); };
  auto pushed = [&](const std::string& id) { return *store_->GetCounter("icb:detect:" + id + ":pushed") > 0; };
  ASSERT_EQ(stored(gone), 2u);  // its owner's vantage and the pushed one
  ASSERT_TRUE(pushed(gone));
  ASSERT_EQ(stored(kept), 1u);
  ASSERT_TRUE(workloads_.Delete(gone).ok());
  RunAll(2);
  EXPECT_EQ(stored(gone), 0u);
  EXPECT_FALSE(pushed(gone));
  EXPECT_EQ(stored(kept), 1u);
  // A write that lands after the sweep (a replica that had not read the
  // delete yet) goes at a later one.
  WriteBatch late;
  late.HashSet("icb:detect:" + gone, "local", "{}");
  late.SetAdd("icb:detect:index", gone);
  ASSERT_TRUE(store_->Apply(late).ok());
  RunAll(61);
  EXPECT_EQ(stored(gone), 0u);
  EXPECT_EQ(stored(kept), 1u);
  EXPECT_EQ(*store_->SetMembers("icb:detect:index"), std::vector<std::string>{kept});
}

TEST_F(SharedDetectionTest, ADisasterBothBrokersDetectIsOneRecoveryStartedByTheLeaderInPriorityOrder) {
  // Six workloads of three priorities on sim-a, owned by both brokers.
  std::map<std::string, int> priority;
  for (int k = 0; k < 6; ++k) {
    const std::string id = "d" + std::to_string(k);
    priority[id] = 1 + k % 3;
    Put(WorkloadDoc(id, priority[id], "fast", 1));
  }
  RunAll(8);
  int owned_by_follower = 0;
  for (const auto& [id, p] : priority) owned_by_follower += ReplicaSet::OwnerOf(id, {"r1", "r2"}) == "r2";
  ASSERT_GT(owned_by_follower, 0);
  ASSERT_LT(owned_by_follower, 6);
  probes_.down.insert("127.0.0.11");
  RunAll(15);
  // r2 handed its detections to r1, which recovered all six at once.
  const auto recoveries = Ops("recovery");
  ASSERT_EQ(recoveries.size(), 1u);
  EXPECT_EQ(recoveries[0].workloads.size(), 6u);
  EXPECT_EQ(recoveries[0].state, OperationState::kSucceeded) << recoveries[0].reason;
  EXPECT_EQ(Ops("failover").size(), 6u);
  for (const auto& [id, p] : priority) EXPECT_NE(Status(id).placement, "sim-a") << id;
}

}  // namespace
}  // namespace icb
