// The counting probe runner: each answer counted by provider and outcome
// (its latency when it had one) before it is handed on, unchanged.
#include "broker/qos/probe_metrics.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

// Answers each probe at once with the sample it was told to.
class ScriptedRunner final : public AsyncProbeRunner {
 public:
  std::vector<QosSample> answers;
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    QosSample s = answers.at(next_++);
    s.provider = target->provider;
    done(std::move(s));
  }

 private:
  size_t next_ = 0;
};

TEST(CountingProbeRunner, CountsEachAnswerByProviderAndOutcome) {
  MetricRegistry registry;
  auto metrics = DeclareProbeMetrics(registry);
  ASSERT_TRUE(metrics.ok());
  auto scripted = std::make_unique<ScriptedRunner>();
  QosSample ok;
  ok.ok = true;
  ok.latency_ms = 40;
  QosSample timeout;
  timeout.error = ProbeError::kTimeout;
  QosSample status;
  status.error = ProbeError::kStatus;
  status.latency_ms = 10;
  scripted->answers = {ok, ok, timeout, status};
  auto runner = CountingProbeRunner(std::move(scripted), *metrics);
  std::vector<QosSample> handed;
  for (const char* provider : {"a", "a", "a", "b"}) {
    auto target = std::make_shared<ProbeTarget>();
    target->provider = provider;
    runner->Start(target, [&](QosSample s) { handed.push_back(std::move(s)); });
  }
  ASSERT_EQ(handed.size(), 4u);
  EXPECT_TRUE(handed[0].ok);
  EXPECT_EQ(handed[2].error, ProbeError::kTimeout);
  EXPECT_EQ(metrics->outcomes->With({"a", "ok"}).value(), 2);
  EXPECT_EQ(metrics->outcomes->With({"a", "timeout"}).value(), 1);
  EXPECT_EQ(metrics->outcomes->With({"b", "status"}).value(), 1);
  // Latencies of the three that had one, in seconds.
  EXPECT_EQ(metrics->seconds->With({"a"}).Cumulative().back(), 2u);
  EXPECT_DOUBLE_EQ(metrics->seconds->With({"a"}).sum(), 0.08);
  EXPECT_DOUBLE_EQ(metrics->seconds->With({"b"}).sum(), 0.01);
}

}  // namespace
}  // namespace icb
