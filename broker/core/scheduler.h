// One background scheduler for the broker's periodic work (probes, the
// operation runner, trigger policies): tasks are registered by name, each a
// Tick() that does what is due and says when it is next due. A small fixed
// pool runs them; a task never runs on two threads at once, and no task has
// a thread of its own. Time comes from the injected Clock, so tests drive it
// with a ManualClock and RunDue() instead of threads and sleeps.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/core/clock.h"

namespace icb {

class Scheduler {
 public:
  // Does the task's due work; returns when it is next due (monotonic), or
  // nullopt to be called again only when woken.
  using Tick = std::function<std::optional<MonoTime>()>;

  explicit Scheduler(const Clock& clock) : clock_(clock) {}
  ~Scheduler() { Stop(); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Registers (or replaces) a task, due at once.
  void Register(const std::string& name, Tick tick);
  void Unregister(const std::string& name);
  // Makes a task due now (new work arrived); a running task runs once more
  // after it returns.
  void Wake(const std::string& name);

  // Starts `threads` workers; Stop() joins them (a running tick finishes).
  void Start(int threads);
  void Stop();

  // Runs every task due now on the calling thread, each once, in due order;
  // returns how many ran. For tests on a ManualClock, with no workers started.
  int RunDue();
  // When the earliest task is due (nullopt: none is scheduled).
  std::optional<MonoTime> NextDue() const;

 private:
  struct Task {
    Tick tick;
    std::optional<MonoTime> due;  // nullopt: waits for Wake
    bool running = false;
    bool woken = false;      // woken while running: due again when it returns
    bool removed = false;
  };
  // The next due task, if any is due at `now`; marks it running.
  std::shared_ptr<Task> TakeDue(MonoTime now);
  void Finish(const std::shared_ptr<Task>& task, std::optional<MonoTime> next);
  void WorkerLoop(Interrupt& interrupt);
  // A task became due, or due sooner than the timer waits for: the timer
  // wakes to look again, or, with no timer, one idle worker does.
  void NotifyWorkers();
  void NotifyOneLocked();
  std::optional<MonoTime> EarliestDueLocked() const;

  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<Interrupt>> interrupts_;  // one per worker
  // Idle workers wait for a notification; one of them, the timer, also
  // waits for the earliest due time. Woken one at a time: waking every idle
  // worker on each change (hundreds a second with probes) cost the probe
  // path a sixth of its CPU in futex calls and context switches.
  std::vector<Interrupt*> idle_;
  Interrupt* timer_ = nullptr;
  MonoTime timer_wake_;
};

}  // namespace icb
