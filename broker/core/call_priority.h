// The urgency of the provider calls the current thread makes, 1 first (a
// workload's recovery priority, 1 to 1000). The operation runner's worker
// sets it for the operation it advances; the per-provider call gates queue
// by it. Calls made outside an operation (a burst trigger reading a
// provider's utilisation) queue after every operation's.
#pragma once

#include <algorithm>

namespace icb {

class CallPriority {
 public:
  // Work asked for or planned (a move, a manual failover, a placement, a
  // burst) ranks at kRequested + its workload's priority: after every
  // outage's recovery, whatever priority a tenant declares.
  static constexpr int kRequested = 10'000;
  static constexpr int kBackground = 1'000'000;
  // Recovering from an outage (a priority below kRequested).
  static bool IsOutage(int priority) { return priority < kRequested; }
  // How much of a capacity (workers, a provider's call slots) is kept for
  // outage recovery: a quarter, at least one of two or more.
  static int KeptForOutages(int capacity) { return capacity >= 2 ? std::max(1, capacity / 4) : 0; }

  explicit CallPriority(int priority) : saved_(current_) { current_ = priority; }
  ~CallPriority() { current_ = saved_; }
  CallPriority(const CallPriority&) = delete;
  CallPriority& operator=(const CallPriority&) = delete;

  static int Current() { return current_; }

 private:
  int saved_;
  static inline thread_local int current_ = kBackground;
};

}  // namespace icb
