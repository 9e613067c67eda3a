// The injectable clock. Everything that reads "now" takes a Clock&, so tests
// move time by hand instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>

namespace icb {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_ms_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(Millis(now_ms_.load())); }
  void Set(TimePoint t) { now_ms_.store(t.time_since_epoch().count()); }
  void Advance(Millis d) { now_ms_.fetch_add(d.count()); }

 private:
  std::atomic<long long> now_ms_;
};

}  // namespace icb
