#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "broker/core/scheduler.h"

namespace icb {
namespace {

const TimePoint kStart = TimePoint(Millis(1'700'000'000'000));

TEST(ManualClock, WaitEndsWhenAdvancedPastTheDeadlineOrNotified) {
  ManualClock clock(kStart);
  Interrupt interrupt;
  std::atomic<int> woke{0};
  std::thread waiter([&] {
    bool notified = clock.WaitUntil(clock.Monotonic() + Millis(1000), interrupt);
    woke = notified ? 2 : 1;
  });
  while (clock.waiters() == 0) std::this_thread::yield();
  clock.Advance(Millis(999));
  EXPECT_EQ(woke.load(), 0);  // not yet due (it re-checks and waits on)
  clock.Advance(Millis(1));
  waiter.join();
  EXPECT_EQ(woke.load(), 1);

  std::thread notified([&] { woke = clock.WaitUntil(clock.Monotonic() + Millis(1'000'000), interrupt) ? 2 : 1; });
  while (clock.waiters() == 0) std::this_thread::yield();
  interrupt.Notify();
  notified.join();
  EXPECT_EQ(woke.load(), 2);
  // A notification that came first is not lost.
  interrupt.Notify();
  EXPECT_TRUE(clock.WaitUntil(clock.Monotonic() + Millis(1'000'000), interrupt));
}

TEST(ManualClock, SettingWallTimeNeverMovesMonotonicTimeBack) {
  ManualClock clock(kStart);
  clock.Advance(Millis(500));
  auto mono = clock.Monotonic();
  clock.Set(kStart - std::chrono::hours(1));
  EXPECT_EQ(clock.Monotonic(), mono);
  EXPECT_EQ(clock.Now(), kStart - std::chrono::hours(1));
}

TEST(Scheduler, RunsEachTaskWhenDueOnAManualClock) {
  ManualClock clock(kStart);
  Scheduler scheduler(clock);
  std::vector<std::string> log;
  scheduler.Register("every-100", [&]() -> std::optional<MonoTime> {
    log.push_back("a");
    return clock.Monotonic() + Millis(100);
  });
  scheduler.Register("every-250", [&]() -> std::optional<MonoTime> {
    log.push_back("b");
    return clock.Monotonic() + Millis(250);
  });
  EXPECT_EQ(scheduler.RunDue(), 2);  // both due at registration
  EXPECT_EQ(scheduler.RunDue(), 0);  // nothing until time moves
  EXPECT_EQ(scheduler.NextDue(), clock.Monotonic() + Millis(100));
  for (int i = 0; i < 5; ++i) {
    clock.Advance(Millis(100));
    scheduler.RunDue();
  }
  // a at 0,100,...,500; b at 0, 250 (run at 300), 550 not yet.
  EXPECT_EQ(std::count(log.begin(), log.end(), "a"), 6);
  EXPECT_EQ(std::count(log.begin(), log.end(), "b"), 2);
}

TEST(Scheduler, WakeMakesATaskDueNowAndNulloptWaitsForWake) {
  ManualClock clock(kStart);
  Scheduler scheduler(clock);
  int runs = 0;
  scheduler.Register("on-demand", [&]() -> std::optional<MonoTime> {
    ++runs;
    return std::nullopt;
  });
  EXPECT_EQ(scheduler.RunDue(), 1);
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(scheduler.RunDue(), 0);
  EXPECT_FALSE(scheduler.NextDue().has_value());
  scheduler.Wake("on-demand");
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_EQ(runs, 2);
  scheduler.Unregister("on-demand");
  scheduler.Wake("on-demand");  // gone: nothing
  EXPECT_EQ(scheduler.RunDue(), 0);
}

TEST(Scheduler, WorkersRunTasksOnTimeAndNeverOneTaskTwiceAtOnce) {
  ManualClock clock(kStart);
  Scheduler scheduler(clock);
  std::atomic<int> inside{0}, overlap{0}, runs{0};
  scheduler.Register("slow", [&]() -> std::optional<MonoTime> {
    if (inside.fetch_add(1) != 0) overlap.fetch_add(1);
    runs.fetch_add(1);
    inside.fetch_sub(1);
    return clock.Monotonic() + Millis(10);
  });
  scheduler.Start(3);
  // Each advance makes the task due once; wait until a worker has run it
  // and all three are parked on the clock again.
  for (int i = 1; i <= 50; ++i) {
    while (runs.load() < i || clock.waiters() < 3) std::this_thread::yield();
    clock.Advance(Millis(10));
  }
  while (runs.load() < 51) std::this_thread::yield();
  scheduler.Stop();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(runs.load(), 51);
}

// Counts the waits that ended (a worker woken, by time or notification).
class CountingClock final : public Clock {
 public:
  explicit CountingClock(ManualClock& clock) : clock_(clock) {}
  TimePoint Now() const override { return clock_.Now(); }
  MonoTime Monotonic() const override { return clock_.Monotonic(); }
  bool WaitUntil(MonoTime deadline, Interrupt& interrupt) const override {
    const bool notified = clock_.WaitUntil(deadline, interrupt);
    woken_.fetch_add(1);
    return notified;
  }
  int woken() const { return woken_.load(); }

 private:
  ManualClock& clock_;
  mutable std::atomic<int> woken_{0};
};

TEST(Scheduler, ADueTaskWakesOneWorkerNotEveryIdleOne) {
  ManualClock manual(kStart);
  CountingClock clock(manual);
  Scheduler scheduler(clock);
  std::atomic<int> runs{0};
  scheduler.Register("every-10", [&]() -> std::optional<MonoTime> {
    runs.fetch_add(1);
    return clock.Monotonic() + Millis(10);
  });
  scheduler.Start(4);
  while (runs.load() < 1 || manual.waiters() < 4) std::this_thread::yield();
  const int before = clock.woken();
  constexpr int kTicks = 50;
  for (int i = 1; i <= kTicks; ++i) {
    manual.Advance(Millis(10));
    while (runs.load() < i + 1 || manual.waiters() < 4) std::this_thread::yield();
  }
  const int woken = clock.woken() - before;
  scheduler.Stop();
  EXPECT_EQ(runs.load(), kTicks + 1);
  // Per run: the timer wakes for it, and one idle worker wakes to watch the
  // schedule while it runs. Waking every idle worker was 7 or more.
  EXPECT_LE(woken, 2 * kTicks) << static_cast<double>(woken) / kTicks << " wake-ups a run";
}

TEST(Scheduler, AWakeWhileRunningRunsItOnceMore) {
  ManualClock clock(kStart);
  Scheduler scheduler(clock);
  int runs = 0;
  scheduler.Register("self-waking", [&]() -> std::optional<MonoTime> {
    if (++runs == 1) scheduler.Wake("self-waking");
    return std::nullopt;
  });
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_EQ(scheduler.RunDue(), 1);  // the wake during the first run
  EXPECT_EQ(scheduler.RunDue(), 0);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace icb
