// The load trigger policy with hand-computed p95s and means over covered
// windows, and its cooldown.
#include <gtest/gtest.h>

#include "broker/core/time.h"
#include "policies/load_trigger.h"

namespace icb {
namespace {

const TimePoint kLoadT0 = *ParseRfc3339("2026-12-01T00:00:00Z");

// One sample a second for `n` seconds up to `end`, latency from `latency(i)`.
std::vector<LoadSample> Latencies(TimePoint end, const std::vector<double>& values) {
  std::vector<LoadSample> out;
  for (size_t i = 0; i < values.size(); ++i) out.push_back({end - Millis(1000 * (values.size() - 1 - i)), values[i], std::nullopt});
  return out;
}
TEST(LoadTrigger, P95AndMeanAgainstTheirThresholdsOverACoveredWindow) {
  LoadTrigger t;
  LoadThresholds th;
  th.window = Millis(30'000);
  th.cooldown = Millis(300'000);
  const TimePoint now = kLoadT0 + Millis(100'000);
  // 20 latencies 1..20 ms over 20 s: nearest rank p95 = the 19th = 19.
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  auto samples = Latencies(now, v);
  th.p95_ms_above = 18;
  auto d = t.Evaluate(samples, th, {}, now);
  EXPECT_EQ(d.verdict, LoadVerdict::kBurst);
  EXPECT_EQ(d.inputs["p95_ms"], 19);
  EXPECT_EQ(d.inputs["latency_samples"], 20);
  th.p95_ms_above = 19;  // not above
  EXPECT_EQ(t.Evaluate(samples, th, {}, now).verdict, LoadVerdict::kUnchanged);
  // Only samples inside the window count: 40 slow ones before it do not.
  auto old_then_new = Latencies(now - Millis(40'000), std::vector<double>(10, 500.0));
  old_then_new.insert(old_then_new.end(), samples.begin(), samples.end());
  EXPECT_EQ(t.Evaluate(old_then_new, th, {}, now).verdict, LoadVerdict::kUnchanged);
  // An uncovered window decides nothing: two samples, or samples only from its last 10 s.
  th.p95_ms_above = 5;
  EXPECT_EQ(t.Evaluate(Latencies(now, {900, 900}), th, {}, now).verdict, LoadVerdict::kUnchanged);
  EXPECT_EQ(t.Evaluate(Latencies(now, std::vector<double>(10, 900)), th, {}, now).verdict, LoadVerdict::kUnchanged);
  EXPECT_EQ(t.Evaluate(Latencies(now, std::vector<double>(16, 900)), th, {}, now).verdict, LoadVerdict::kBurst);  // 15 s back: covered
  // Utilisation: the mean over the window; (70 + 80 + 90) / 3 = 80.
  LoadThresholds u;
  u.window = Millis(30'000);
  u.utilization_above = 79;
  std::vector<LoadSample> busy = {{now - Millis(20'000), std::nullopt, 70.0}, {now - Millis(10'000), std::nullopt, 80.0}, {now, std::nullopt, 90.0}};
  auto ud = t.Evaluate(busy, u, {}, now);
  EXPECT_EQ(ud.verdict, LoadVerdict::kBurst);
  EXPECT_EQ(ud.inputs["utilization_percent"], 80);
  u.utilization_above = 80;
  EXPECT_EQ(t.Evaluate(busy, u, {}, now).verdict, LoadVerdict::kUnchanged);
  // No threshold at all: nothing is ever judged.
  EXPECT_EQ(t.Evaluate(busy, LoadThresholds{}, {}, now).verdict, LoadVerdict::kUnchanged);
}

TEST(LoadTrigger, TheCooldownStartsWhenLoadIsLowAndStartsOverWhenItRises) {
  LoadTrigger t;
  LoadThresholds th;
  th.p95_ms_above = 100;
  th.window = Millis(10'000);
  th.cooldown = Millis(300'000);
  TimePoint now = kLoadT0 + Millis(1'000'000);
  LoadState bursting{true, std::nullopt};
  auto low = [&](TimePoint at) { return Latencies(at, std::vector<double>(11, 20)); };
  auto high = [&](TimePoint at) { return Latencies(at, std::vector<double>(11, 300)); };
  auto d = t.Evaluate(low(now), th, bursting, now);
  EXPECT_EQ(d.verdict, LoadVerdict::kUnchanged);
  ASSERT_TRUE(d.calm_since.has_value());
  EXPECT_EQ(*d.calm_since, now);
  bursting.calm_since = d.calm_since;
  // 299.999 s of calm: still burst; 300 s: scale back.
  TimePoint almost = now + Millis(299'999);
  EXPECT_EQ(t.Evaluate(low(almost), th, bursting, almost).verdict, LoadVerdict::kUnchanged);
  TimePoint done = now + Millis(300'000);
  EXPECT_EQ(t.Evaluate(low(done), th, bursting, done).verdict, LoadVerdict::kScaleBack);
  // Load high again inside the cooldown: it starts over.
  auto again = t.Evaluate(high(almost), th, bursting, almost);
  EXPECT_EQ(again.verdict, LoadVerdict::kUnchanged);
  EXPECT_FALSE(again.calm_since.has_value());
  // High while burst is no new burst.
  EXPECT_EQ(t.Evaluate(high(now), th, LoadState{true, std::nullopt}, now).verdict, LoadVerdict::kUnchanged);
}

}  // namespace
}  // namespace icb
