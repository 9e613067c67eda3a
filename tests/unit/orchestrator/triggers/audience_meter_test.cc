// The audience meter on the memory fakes and a manual clock: each
// audience's latency from its vantage, by this broker's own probes (those
// naming a vantage it stands at) and by samples pushed from elsewhere, over
// the audience's window, p95 by nearest rank of the successful ones
// (reference 10.g), a new series when the audience's provider changes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/triggers/audience_meter.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::WorkloadDoc;

class AudienceMeterTest : public testing::ScheduledOrchestrationTest {
 protected:
  AudienceMeterTest() {
    StartOrchestrator(Options("broker-1"));
    // This broker stands at seoul-1; frankfurt-1 reports by pushing.
    meter_ = std::make_unique<AudienceMeter>(scheduler_, clock_, probes_, catalog_, orchestrator_->workloads(), *store_,
                                             AudienceMeterOptions{{"seoul-1"}, Millis(1000), Millis(200)});
    meter_->Start();
  }
  ~AudienceMeterTest() override { meter_->Stop(); }
  static json Doc() {
    json doc = WorkloadDoc("shop");
    doc["audiences"] = {{{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 100}, {"window_s", 20}},
                        {{"id", "abroad"}, {"networks", {"198.51.100.0/24"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 250}, {"window_s", 60}}};
    return doc;
  }
  std::vector<VantageSample> Pushed(std::initializer_list<double> latencies, bool ok = true) {
    std::vector<VantageSample> out;
    for (double ms : latencies) out.push_back({clock_.Now(), ok, ok ? 200 : 503, ok ? "" : "status", ok ? std::optional<double>(ms) : std::nullopt});
    return out;
  }
  std::unique_ptr<AudienceMeter> meter_;
};

TEST_F(AudienceMeterTest, OwnProbesMeasureTheAudiencesAtThisBrokersVantageOnly) {
  Put(Doc());
  probes_.vantage_latency_ms = {{"seoul-1", 40}, {"frankfurt-1", 300}};
  Run(12);
  auto home = meter_->Read("shop", "home");
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(home->vantage, "seoul-1");
  EXPECT_EQ(home->provider, "sim-a");
  EXPECT_GE(home->ok, 8u);  // one a second (the workload's interval), after placing
  EXPECT_EQ(home->failed, 0u);
  EXPECT_EQ(home->p95_ms, 40);
  // Not this broker's vantage: no probe names it, nothing measured yet.
  EXPECT_EQ(probes_.by_vantage.count("frankfurt-1"), 0u);
  auto abroad = meter_->Read("shop", "abroad");
  ASSERT_TRUE(abroad.has_value());
  EXPECT_EQ(abroad->ok, 0u);
  EXPECT_FALSE(abroad->p95_ms.has_value());
  EXPECT_FALSE(meter_->Read("shop", "nobody").has_value());
  EXPECT_FALSE(meter_->Read("other", "home").has_value());
}

TEST_F(AudienceMeterTest, PushedSamplesCountForTheAudiencesMeasuredFromTheirVantage) {
  Put(Doc());
  Run(3);
  // Twenty samples, 10 to 200 ms: p95 is rank ceil(0.95 x 20) = 19, 190 ms.
  std::vector<VantageSample> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back({clock_.Now() - Millis(1000 * (20 - i)), true, 200, "", 10.0 * i});
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", twenty).ok());
  // Failures are counted apart, not as latencies.
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", Pushed({0, 0}, false)).ok());
  auto abroad = meter_->Read("shop", "abroad");
  ASSERT_TRUE(abroad.has_value());
  EXPECT_EQ(abroad->ok, 20u);
  EXPECT_EQ(abroad->failed, 2u);
  EXPECT_EQ(abroad->p95_ms, 190);
  EXPECT_EQ(abroad->newest, clock_.Now());
  EXPECT_EQ(abroad->oldest, clock_.Now() - Millis(19'000));
  const LatencyReading read = abroad->latency();  // as the latency trigger reads it
  EXPECT_EQ(read.ok, 20u);
  EXPECT_EQ(read.p95_ms, 190);
  EXPECT_EQ(read.oldest, abroad->oldest);
  // A vantage no audience is measured from, a workload without audiences.
  EXPECT_EQ(meter_->Push("shop", "tokyo-1", Pushed({5})).code(), StatusCode::kNotFound);
  EXPECT_EQ(meter_->Push("nope", "frankfurt-1", Pushed({5})).code(), StatusCode::kNotFound);
  // Older than the window (60 s): not kept.
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", {{clock_.Now() - Millis(61'000), true, 200, "", 5000.0}}).ok());
  EXPECT_EQ(meter_->Read("shop", "abroad")->p95_ms, 190);
}

TEST_F(AudienceMeterTest, TheWindowForgetsAndAnAudienceFallsSilent) {
  Put(Doc());
  Run(3);
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", Pushed({300, 300, 300})).ok());
  Run(30);
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", Pushed({20})).ok());
  EXPECT_EQ(meter_->Read("shop", "abroad")->p95_ms, 300);  // 30 s ago: within the 60 s window
  Run(31);
  auto later = meter_->Read("shop", "abroad");
  EXPECT_EQ(later->ok, 1u);  // the three have left the window
  EXPECT_EQ(later->p95_ms, 20);
  Run(61);
  later = meter_->Read("shop", "abroad");
  EXPECT_EQ(later->ok, 0u);  // silent: nothing in the window
  EXPECT_FALSE(later->p95_ms.has_value());
}

TEST_F(AudienceMeterTest, AMovedWorkloadIsANewSeriesAtItsNewProvider) {
  Put(Doc());
  probes_.vantage_latency_ms = {{"seoul-1", 40}};
  Run(5);
  ASSERT_EQ(meter_->Read("shop", "home")->provider, "sim-a");
  ASSERT_TRUE(orchestrator_->StartFailover("shop", {}).ok());
  probes_.vantage_latency_ms = {{"seoul-1", 70}};
  Run(5);
  ASSERT_EQ(Status("shop").placement, "sim-b");
  auto home = meter_->Read("shop", "home");
  EXPECT_EQ(home->provider, "sim-b");
  EXPECT_EQ(home->p95_ms, 70);  // none of sim-a's 40 ms samples
  // Audiences removed from the document: no longer measured.
  json doc = Doc();
  doc.erase("audiences");
  doc["placement"]["provider"] = "sim-b";
  Put(doc);
  Run(3);
  EXPECT_FALSE(meter_->Read("shop", "home").has_value());
}

TEST_F(AudienceMeterTest, PushedSamplesNamingAProviderCountForItsSeriesOnly) {
  Put(Doc());
  Run(3);
  // Of the placement, named: the audience's reading there.
  ASSERT_TRUE(meter_->Push("shop", "frankfurt-1", Pushed({40, 60, 80}), "sim-a").ok());
  auto at_a = meter_->Read("shop", "abroad", "sim-a");
  ASSERT_TRUE(at_a.has_value());
  EXPECT_EQ(at_a->ok, 3u);
  EXPECT_EQ(at_a->p95_ms, 80);
  EXPECT_EQ(meter_->Latency("shop", "abroad", "sim-a")->ok, 3u);
  // A provider not measured for it (these providers list no endpoint to measure at): refused, nothing counted.
  EXPECT_EQ(meter_->Push("shop", "frankfurt-1", Pushed({10}), "sim-c").code(), StatusCode::kNotFound);
  EXPECT_FALSE(meter_->Read("shop", "abroad", "sim-c").has_value());
  EXPECT_EQ(meter_->Read("shop", "abroad")->ok, 3u);  // the serving provider's, sim-a's
}

}  // namespace
}  // namespace icb
