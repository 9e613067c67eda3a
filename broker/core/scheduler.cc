#include "broker/core/scheduler.h"

#include <algorithm>

namespace icb {

void Scheduler::Register(const std::string& name, Tick tick) {
  {
    std::lock_guard lock(mu_);
    if (auto it = tasks_.find(name); it != tasks_.end()) it->second->removed = true;
    auto task = std::make_shared<Task>();
    task->tick = std::move(tick);
    task->due = clock_.Monotonic();
    tasks_[name] = std::move(task);
  }
  NotifyWorkers();
}

void Scheduler::Unregister(const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = tasks_.find(name); it != tasks_.end()) {
    it->second->removed = true;
    tasks_.erase(it);
  }
}

void Scheduler::Wake(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(name);
    if (it == tasks_.end()) return;
    Task& t = *it->second;
    if (t.running) t.woken = true;
    else t.due = clock_.Monotonic();
  }
  NotifyWorkers();
}

std::shared_ptr<Scheduler::Task> Scheduler::TakeDue(MonoTime now) {
  std::shared_ptr<Task> best;
  for (auto& [name, task] : tasks_) {
    if (task->running || !task->due || *task->due > now) continue;
    if (!best || *task->due < *best->due) best = task;
  }
  if (best) best->running = true;
  return best;
}

void Scheduler::Finish(const std::shared_ptr<Task>& task, std::optional<MonoTime> next) {
  std::lock_guard lock(mu_);
  task->running = false;
  task->due = std::exchange(task->woken, false) ? std::optional<MonoTime>(clock_.Monotonic()) : next;
  // The worker that ran it looks for due work next (WorkerLoop, RunDue),
  // and becomes the timer if the timer waits for later than this is due:
  // that one is let go without waking it (it wakes at its own time, or when
  // notified as an idle worker, and finds it is no longer the timer).
  if (task->due && timer_ && *task->due < timer_wake_) timer_ = nullptr;
}

int Scheduler::RunDue() {
  const MonoTime now = clock_.Monotonic();
  // The tasks due now, earliest first; each runs once in this call even if
  // it says it is due again at once.
  std::vector<std::shared_ptr<Task>> due;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, task] : tasks_)
      if (!task->running && task->due && *task->due <= now) due.push_back(task);
  }
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return *a->due < *b->due; });
  int count = 0;
  for (auto& task : due) {
    {
      std::lock_guard lock(mu_);
      if (task->removed || task->running) continue;
      task->running = true;
    }
    Finish(task, task->tick());
    ++count;
  }
  return count;
}

std::optional<MonoTime> Scheduler::NextDue() const {
  std::lock_guard lock(mu_);
  return EarliestDueLocked();
}

void Scheduler::Start(int threads) {
  std::lock_guard lock(mu_);
  stopping_ = false;
  for (int i = 0; i < threads; ++i) {
    interrupts_.push_back(std::make_unique<Interrupt>());
    Interrupt* interrupt = interrupts_.back().get();
    workers_.emplace_back([this, interrupt] { WorkerLoop(*interrupt); });
  }
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    if (workers_.empty()) return;
    stopping_ = true;
  }
  NotifyWorkers();
  for (auto& w : workers_) w.join();
  std::lock_guard lock(mu_);
  workers_.clear();
  interrupts_.clear();
}

void Scheduler::NotifyWorkers() {
  std::lock_guard lock(mu_);
  if (stopping_) {
    for (auto& i : interrupts_) i->Notify();
    return;
  }
  NotifyOneLocked();
}

void Scheduler::NotifyOneLocked() {
  if (timer_) timer_->Notify();
  else if (!idle_.empty()) idle_.back()->Notify();  // the last to go idle: its cache is the warmest
}

std::optional<MonoTime> Scheduler::EarliestDueLocked() const {
  std::optional<MonoTime> earliest;
  for (const auto& [name, t] : tasks_)
    if (!t->running && t->due && (!earliest || *t->due < *earliest)) earliest = t->due;
  return earliest;
}

void Scheduler::WorkerLoop(Interrupt& interrupt) {
  // Idle workers re-check at least this often (a clock stepped by hand, a
  // notification lost to a race with Stop): a bound, never the schedule.
  constexpr Millis kMaxIdle{1000};
  bool waited = false;
  for (;;) {
    std::shared_ptr<Task> task;
    MonoTime wake;
    {
      std::lock_guard lock(mu_);
      if (waited) {
        // Back from waiting: no longer idle, and no longer the timer.
        std::erase(idle_, &interrupt);
        if (timer_ == &interrupt) timer_ = nullptr;
        waited = false;
      }
      if (stopping_) return;
      const MonoTime now = clock_.Monotonic();
      task = TakeDue(now);
      if (task) {
        // Somebody else watches the schedule meanwhile: with no timer, an
        // idle worker wakes to take the next due task or become the timer.
        if (!timer_) NotifyOneLocked();
      } else {
        wake = now + kMaxIdle;
        if (!timer_) {
          timer_ = &interrupt;
          if (auto earliest = EarliestDueLocked()) wake = std::min(wake, *earliest);
          timer_wake_ = wake;
        }
        idle_.push_back(&interrupt);
        waited = true;
      }
    }
    if (task) {
      Finish(task, task->tick());
      continue;
    }
    clock_.WaitUntil(wake, interrupt);
  }
}

}  // namespace icb
