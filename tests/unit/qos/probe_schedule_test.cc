// The probe schedule on a manual clock and a runner that answers when the
// test says: fixed-rate slots spread by phase, a slow probe's next slot
// still taken and the one after skipped, answers handed over in batches in
// the order they were sent, targets replaced and removed, lateness counted.
#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "broker/core/time.h"
#include "broker/qos/probe_schedule.h"

namespace icb {
namespace {

using std::chrono::seconds;

// Holds every probe started until the test answers it.
class HeldProbes final : public AsyncProbeRunner {
 public:
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override { held.push_back({*target, std::move(done)}); }
  // Answers the oldest `n` held probes (all by default): ok unless down.
  int Answer(size_t n = SIZE_MAX) {
    int answered = 0;
    while (!held.empty() && n-- > 0) {
      auto [target, done] = std::move(held.front());
      held.pop_front();
      QosSample s = target.url == down ? FailedProbe(target, ProbeError::kConnect) : JudgeHttpAnswer(target, 200, "", 1.0);
      done(std::move(s));
      ++answered;
    }
    return answered;
  }
  std::deque<std::pair<ProbeTarget, Done>> held;
  std::string down;
};

ScheduledProbe Probe(const std::string& url, Millis interval, Millis phase) {
  ProbeTarget t{"p", url, url, {}, ""};
  t.settings.interval = interval;
  t.settings.timeout = interval;
  return {t, phase};
}

class ProbeScheduleTest : public ::testing::Test {
 protected:
  ProbeScheduleTest()
      : clock_(*ParseRfc3339("2026-12-01T00:00:00Z")),
        scheduler_(clock_),
        schedule_(std::make_unique<ProbeSchedule>(scheduler_, clock_, runner_, ProbeScheduleOptions{"probes", Millis(100)},
                                                  [this](std::vector<ProbeAnswer> a) { batches_.push_back(std::move(a)); })) {}
  // Simulated time passes in 10 ms steps, every held probe answered at once
  // unless `hold`.
  void Run(Millis d, bool hold = false) {
    for (Millis t{0}; t < d; t += Millis(10)) {
      while (scheduler_.RunDue() > 0) {
      }
      if (!hold) runner_.Answer();
      while (scheduler_.RunDue() > 0) {
      }
      clock_.Advance(Millis(10));
    }
  }
  std::vector<ProbeAnswer> Delivered() const {
    std::vector<ProbeAnswer> all;
    for (const auto& b : batches_) all.insert(all.end(), b.begin(), b.end());
    return all;
  }

  ManualClock clock_;
  Scheduler scheduler_;
  HeldProbes runner_;
  std::vector<std::vector<ProbeAnswer>> batches_;
  std::unique_ptr<ProbeSchedule> schedule_;
};

TEST(SpreadPhase, IsStableAndWithinTheSpread) {
  EXPECT_EQ(SpreadPhase("shop", seconds(10), seconds(10)), SpreadPhase("shop", seconds(10), seconds(10)));
  std::set<int64_t> phases;
  for (int i = 0; i < 1000; ++i) {
    Millis p = SpreadPhase("w" + std::to_string(i), seconds(1), Millis(200));
    EXPECT_GE(p, Millis(0));
    EXPECT_LT(p, Millis(200));
    phases.insert(p.count());
  }
  EXPECT_GT(phases.size(), 150u);  // spread, not bunched
  EXPECT_LT(SpreadPhase("x", Millis(50), seconds(10)), Millis(50));  // never beyond the interval
}

TEST_F(ProbeScheduleTest, EachProbeRunsOncePerIntervalAtItsPhaseAndAnswersComeInBatches) {
  std::map<std::string, ScheduledProbe> probes;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "e" + std::to_string(i);
    probes[key] = Probe("http://h/" + key, seconds(1), Millis(10 * i % 1000));
  }
  schedule_->Set(probes);
  Run(seconds(10));
  auto stats = schedule_->TakeStats();
  schedule_->Set({});
  Run(Millis(200));  // the last batch
  auto answers = Delivered();
  std::map<std::string, std::vector<TimePoint>> sent;
  for (const auto& a : answers) sent[a.key].push_back(a.sample.ts);
  ASSERT_EQ(sent.size(), 100u);
  for (const auto& [key, times] : sent) {
    EXPECT_EQ(times.size(), 10u) << key;  // 10 s at 1 s: ten slots each
    for (size_t i = 1; i < times.size(); ++i) EXPECT_EQ(times[i] - times[i - 1], seconds(1)) << key;  // fixed rate
  }
  // Spread: probes started in 100 different 10 ms steps, handed over in far
  // fewer batches (a batch every 100 ms), each in the order sent.
  EXPECT_LE(batches_.size(), 110u);
  for (const auto& b : batches_)
    for (size_t i = 1; i < b.size(); ++i) EXPECT_LE(b[i - 1].sample.ts, b[i].sample.ts);
  EXPECT_EQ(stats.started, 1000u);
  EXPECT_EQ(stats.skipped, 0u);
  EXPECT_LE(stats.lateness_max_ms, 10);  // at most one 10 ms step
  EXPECT_EQ(schedule_->TakeStats().started, 0u);  // counters restart
}

TEST_F(ProbeScheduleTest, ASlowProbeHasOneMoreInFlightAtMostAndSkipsTheSlotAfter) {
  schedule_->Put("slow", Probe("http://slow/", seconds(1), Millis(0)));
  Run(seconds(3) + Millis(500), /*hold=*/true);  // slots at 0, 1, 2, 3 s: two start, two are skipped
  EXPECT_EQ(runner_.held.size(), 2u);
  auto stats = schedule_->TakeStats();
  EXPECT_EQ(stats.started, 2u);
  EXPECT_EQ(stats.skipped, 2u);
  runner_.Answer(1);  // one answer frees a place: the next slot starts again
  Run(seconds(1), true);
  EXPECT_EQ(runner_.held.size(), 2u);
  EXPECT_EQ(schedule_->TakeStats().started, 1u);
  runner_.Answer();
  Run(Millis(200));
  EXPECT_EQ(Delivered().size(), 3u);
}

TEST_F(ProbeScheduleTest, AChangedProbeMovesToItsNewSlotsAndARemovedOneStops) {
  schedule_->Put("a", Probe("http://a/", seconds(1), Millis(0)));
  schedule_->Put("b", Probe("http://b/", seconds(1), Millis(0)));
  Run(seconds(2));
  EXPECT_EQ(Delivered().size(), 4u);
  // The same probe again keeps its slots; a new URL is a new probe.
  schedule_->Put("a", Probe("http://a/", seconds(1), Millis(0)));
  schedule_->Put("b", Probe("http://b2/", seconds(2), Millis(0)));
  schedule_->Remove("a");
  EXPECT_EQ(schedule_->size(), 1u);
  batches_.clear();
  Run(seconds(4));
  auto answers = Delivered();
  ASSERT_EQ(answers.size(), 2u);  // b2 at 2 s intervals, a not at all
  for (const auto& a : answers) EXPECT_EQ(a.target->url, "http://b2/");
}

TEST_F(ProbeScheduleTest, AStalledScheduleSkipsWhatItMissedInsteadOfABurst) {
  schedule_->Put("a", Probe("http://a/", seconds(1), Millis(0)));
  Run(Millis(500));
  ASSERT_EQ(schedule_->TakeStats().started, 1u);
  clock_.Advance(seconds(5));  // nothing ran for five seconds
  Run(Millis(100));
  auto stats = schedule_->TakeStats();
  EXPECT_EQ(stats.started, 1u);  // one probe now, not five
  EXPECT_EQ(stats.skipped, 4u);
  EXPECT_GE(stats.lateness_max_ms, 0);
  EXPECT_LT(stats.lateness_max_ms, 1000);  // late within its slot, not by the stall
}

TEST_F(ProbeScheduleTest, AnswersAfterTheScheduleIsGoneAreDropped) {
  schedule_->Put("a", Probe("http://a/", seconds(1), Millis(0)));
  Run(Millis(100), /*hold=*/true);
  ASSERT_EQ(runner_.held.size(), 1u);
  schedule_.reset();
  EXPECT_EQ(runner_.Answer(), 1);  // lands nowhere, harms nothing
  EXPECT_TRUE(batches_.empty());
  EXPECT_EQ(scheduler_.RunDue(), 0);
}

}  // namespace
}  // namespace icb
