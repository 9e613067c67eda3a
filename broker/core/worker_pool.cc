#include "broker/core/worker_pool.h"

#include <algorithm>

namespace icb {

WorkerPool::WorkerPool(int max_threads, std::chrono::milliseconds idle_for) : max_threads_(std::max(1, max_threads)), idle_for_(idle_for) {}

WorkerPool::~WorkerPool() {
  Workers all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    // A worker that ends from now on no longer moves itself: it is joined
    // here, from this list.
    for (Worker* w : idle_) w->wake.notify_one();
    all.splice(all.end(), workers_);
    all.splice(all.end(), ended_);
  }
  for (auto& w : all) w.thread.join();
}

void WorkerPool::Post(int64_t rank, std::function<void()> job) {
  Workers ended;  // joined outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    jobs_.push(Job{rank, seq_++, std::move(job)});
    ended.splice(ended.end(), ended_);
    if (!idle_.empty()) {
      // The worker idle the shortest time takes it; those idle longest
      // keep waiting, and end.
      Worker* w = idle_.back();
      idle_.pop_back();
      w->woken = true;
      w->wake.notify_one();
    } else if (static_cast<int>(workers_.size()) < max_threads_) {
      auto self = workers_.emplace(workers_.end());
      self->thread = std::thread([this, self] { Loop(self); });
    }  // else it waits its turn by rank for a worker to finish
  }
  for (auto& w : ended) w.thread.join();  // they have returned, or are returning, from Loop
}

size_t WorkerPool::Queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

int WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(workers_.size());
}

void WorkerPool::Loop(Workers::iterator self) {
  std::unique_lock<std::mutex> lock(mu_);
  Worker& me = *self;
  for (;;) {
    if (stopping_) return;  // the destructor joins it
    if (jobs_.empty()) {
      idle_.push_back(&me);
      me.woken = false;
      const bool woken = me.wake.wait_for(lock, idle_for_, [&] { return stopping_ || me.woken; });
      if (stopping_) return;
      if (!woken) {
        // Idle for idle_for: this worker ends; the next Post (or the
        // destructor) joins its thread.
        idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
        ended_.splice(ended_.end(), workers_, self);
        return;
      }
      // A worker finishing its job may have taken this one first.
      if (jobs_.empty()) continue;
    }
    std::function<void()> job = std::move(const_cast<Job&>(jobs_.top()).run);
    jobs_.pop();
    lock.unlock();
    job();
    job = nullptr;  // what it captured goes before the next wait
    lock.lock();
  }
}

}  // namespace icb
