// Audience latency measured by brokers sharing one store
// (AudienceMeterOptions::replicas), on the memory fakes and a manual
// clock: each workload's audiences are probed by one broker, every broker
// holds every audience's window (its own probes and the others', shared
// through the store, and samples pushed to any of them), and when the
// prober dies the next one goes on from that window.
#include <gtest/gtest.h>

#include <array>

#include "broker/orchestrator/triggers/audience_meter.h"
#include "broker/store/replica_set.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::FakeProbes;
using testing::WorkloadDoc;

// Counts the audience probes one broker starts, and answers them as the
// shared fake does.
class AudienceProbeCounter final : public AsyncProbeRunner {
 public:
  explicit AudienceProbeCounter(FakeProbes& fake) : fake_(fake) {}
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    if (target->endpoint.rfind("audience:", 0) == 0) ++audience_probes;
    done(fake_.Run(*target));
  }
  int audience_probes = 0;

 private:
  FakeProbes& fake_;
};

class SharedAudiencesTest : public testing::ReplicatedOrchestrationTest {
 protected:
  SharedAudiencesTest() {
    StartOrchestrator(Options(BrokerId(0)));
    AddReplicas();
    for (int i = 0; i < kBrokers; ++i) {
      counted_[i] = std::make_unique<AudienceProbeCounter>(probes_);
      // Both stand at seoul-1; frankfurt-1 reports by pushing.
      AudienceMeterOptions o;
      o.vantages = {"seoul-1"};
      o.replicas = replicas_[i].get();
      meters_[i] = std::make_unique<AudienceMeter>(*schedulers_[i], clock_, *counted_[i], catalog_, orchestrator_->workloads(), *store_, o);
      meters_[i]->Start();
    }
  }
  ~SharedAudiencesTest() override {
    for (auto& m : meters_) m->Stop();
  }
  static json Doc(const std::string& id) {
    json doc = WorkloadDoc(id);
    doc["audiences"] = {{{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 100}, {"window_s", 60}},
                        {{"id", "abroad"}, {"networks", {"198.51.100.0/24"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 250}, {"window_s", 60}}};
    return doc;
  }

  std::array<std::unique_ptr<AudienceProbeCounter>, kBrokers> counted_;
  std::array<std::unique_ptr<AudienceMeter>, kBrokers> meters_;
};

TEST_F(SharedAudiencesTest, OneBrokerProbesAndEveryBrokerHoldsTheWindow) {
  const std::string id = OwnedBy(1, "shop");
  Put(Doc(id));
  probes_.vantage_latency_ms = {{"seoul-1", 40}};
  RunAll(8);  // placed, and both brokers settled
  counted_[0]->audience_probes = counted_[1]->audience_probes = 0;
  RunAll(10);
  // One broker probes the audience at seoul-1 (the placement and each
  // candidate), the other none of it.
  EXPECT_EQ(counted_[0]->audience_probes, 0);
  EXPECT_GE(counted_[1]->audience_probes, 10);
  // Both hold its window, the same but for what is not shared yet.
  auto owner = meters_[1]->Read(id, "home"), other = meters_[0]->Read(id, "home");
  ASSERT_TRUE(owner && other);
  EXPECT_GE(owner->ok, 15u);
  EXPECT_GE(other->ok + 1, owner->ok);
  EXPECT_EQ(other->p95_ms, 40);
  EXPECT_EQ(other->provider, owner->provider);

  // Twenty samples pushed to the broker that does not probe, 10 to 200 ms:
  // both see p95 = rank ceil(0.95 x 20) = 19, 190 ms, each sample once.
  std::vector<VantageSample> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back({clock_.Now() - Millis(1000 * (20 - i)), true, 200, "", 10.0 * i});
  ASSERT_TRUE(meters_[0]->Push(id, "frankfurt-1", twenty).ok());
  RunAll(1);
  for (int i = 0; i < kBrokers; ++i) {
    auto abroad = meters_[i]->Read(id, "abroad");
    ASSERT_TRUE(abroad.has_value()) << i;
    EXPECT_EQ(abroad->ok, 20u) << i;
    EXPECT_EQ(abroad->p95_ms, 190) << i;
  }
}

TEST_F(SharedAudiencesTest, WhenTheProberDiesTheNextGoesOnFromTheWindow) {
  const std::string id = OwnedBy(1, "shop");
  Put(Doc(id));
  RunAll(20);
  const size_t before = meters_[0]->Read(id, "home")->ok;
  ASSERT_GE(before, 15u);
  // r2 is killed: r1 takes the probing over once its entry expired (5 s)
  // and keeps the samples it read from r2.
  meters_[1]->Stop();
  alive_[1] = false;
  RunAll(15);
  counted_[0]->audience_probes = 0;
  RunAll(5);
  EXPECT_GE(counted_[0]->audience_probes, 5);
  const auto home = meters_[0]->Read(id, "home");
  EXPECT_GE(home->ok, before + 10);  // r2's samples, a gap of at most its expiry, then its own
  EXPECT_LE(home->ok, 40u);          // each sample once: one a second over 40 s at most
}

TEST_F(SharedAudiencesTest, TheSharedLogIsTrimmedToTheLongestWindow) {
  const std::string id = OwnedBy(1, "shop");
  Put(Doc(id));
  RunAll(150);
  // Windows of 60 s, kept a minute longer: about 120 s of records of two
  // shares a second at most, never the 150 s.
  auto size = store_->LogStat("icb:audience:log");
  ASSERT_TRUE(size.ok());
  EXPECT_GT(size->records, 0u);
  auto oldest = store_->LogRead("icb:audience:log", "", 0, 1);
  ASSERT_TRUE(oldest.ok() && !oldest->empty());
  const json first = json::parse(oldest->front().record);
  const TimePoint first_sample(Millis(first["s"][0][1].get<long long>()));
  EXPECT_GE(first_sample, clock_.Now() - Millis(150'000));
  EXPECT_LT(clock_.Now() - first_sample, Millis(125'000 + 30'000));  // trimmed every 30 s
}

}  // namespace
}  // namespace icb
