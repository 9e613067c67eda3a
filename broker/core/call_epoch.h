// The fencing epoch of the lease under which the current thread makes its
// provider calls (0: none, outside an operation). The operation runner's
// worker sets it for the operation it advances; adapters whose provider can
// check it send it with each call that changes something, so a provider
// refuses a call from a leader that has been replaced, even one in flight
// when the lease moved (Kleppmann's fencing token, at the resource).
#pragma once

namespace icb {

class CallEpoch {
 public:
  explicit CallEpoch(long long epoch) : saved_(current_) { current_ = epoch; }
  ~CallEpoch() { current_ = saved_; }
  CallEpoch(const CallEpoch&) = delete;
  CallEpoch& operator=(const CallEpoch&) = delete;

  static long long Current() { return current_; }

 private:
  long long saved_;
  static inline thread_local long long current_ = 0;
};

}  // namespace icb
