// The injectable clock. Everything that reads "now" or waits takes a Clock&,
// so tests move time by hand instead of sleeping.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

namespace icb {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;
// Seconds as documents write them (window_s: 1.5), in milliseconds.
inline Millis SecondsToMillis(double s) { return std::chrono::duration_cast<Millis>(std::chrono::duration<double>(s)); }

// Monotonic time: milliseconds since an arbitrary start, never set back.
// Intervals and deadlines use it; wall time (TimePoint) is for records.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, Millis>;

// Wakes a thread waiting on a Clock before its deadline (new work arrived,
// or shutdown). A notification is remembered until the waiter sees it.
class Interrupt {
 public:
  void Notify() {
    {
      std::lock_guard lock(mu_);
      notified_ = true;
    }
    cv_.notify_all();
  }

 private:
  friend class SystemClock;
  friend class ManualClock;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual MonoTime Monotonic() const = 0;
  // Blocks until Monotonic() >= deadline or `interrupt` is notified; returns
  // true when notified (and clears it).
  virtual bool WaitUntil(MonoTime deadline, Interrupt& interrupt) const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  MonoTime Monotonic() const override { return std::chrono::time_point_cast<Millis>(std::chrono::steady_clock::now()); }
  bool WaitUntil(MonoTime deadline, Interrupt& interrupt) const override {
    std::unique_lock lock(interrupt.mu_);
    interrupt.cv_.wait_until(lock, deadline, [&] { return interrupt.notified_; });
    return std::exchange(interrupt.notified_, false);
  }
};

// A clock that only moves when told to; advancing it wakes every waiter
// whose deadline it passes. Wall and monotonic time move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_ms_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(Millis(now_ms_.load())); }
  MonoTime Monotonic() const override { return MonoTime(Millis(mono_ms_.load())); }
  // Sets wall time only (a clock step); monotonic time does not go back.
  void Set(TimePoint t) {
    now_ms_.store(t.time_since_epoch().count());
    WakeAll();
  }
  void Advance(Millis d) {
    now_ms_.fetch_add(d.count());
    mono_ms_.fetch_add(d.count());
    WakeAll();
  }
  bool WaitUntil(MonoTime deadline, Interrupt& interrupt) const override {
    {
      std::lock_guard lock(waiters_mu_);
      waiters_.push_back(&interrupt);
    }
    bool notified;
    {
      std::unique_lock lock(interrupt.mu_);
      interrupt.cv_.wait(lock, [&] { return interrupt.notified_ || Monotonic() >= deadline; });
      notified = std::exchange(interrupt.notified_, false);
    }
    std::lock_guard lock(waiters_mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &interrupt));
    return notified;
  }
  // How many threads wait on this clock now: a test advances time once the
  // threads it drives are parked.
  size_t waiters() const {
    std::lock_guard lock(waiters_mu_);
    return waiters_.size();
  }

 private:
  void WakeAll() {
    std::lock_guard lock(waiters_mu_);
    for (Interrupt* i : waiters_) {
      // Taking the waiter's lock orders this wake after its predicate check.
      std::lock_guard wl(i->mu_);
      i->cv_.notify_all();
    }
  }

  std::atomic<long long> now_ms_;
  std::atomic<long long> mono_ms_{0};
  mutable std::mutex waiters_mu_;
  mutable std::vector<Interrupt*> waiters_;
};

}  // namespace icb
