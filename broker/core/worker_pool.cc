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
    all.splice(all.end(), workers_);
    all.splice(all.end(), ended_);
  }
  cv_.notify_all();
  for (auto& t : all) t.join();
}

void WorkerPool::Post(int64_t rank, std::function<void()> job) {
  Workers ended;  // joined outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    jobs_.push(Job{rank, seq_++, std::move(job)});
    ended.splice(ended.end(), ended_);
    // A job no idle worker will take starts one, up to the bound; beyond
    // it the job waits its turn by rank.
    if (idle_ < static_cast<int>(jobs_.size()) && static_cast<int>(workers_.size()) < max_threads_) {
      auto self = workers_.emplace(workers_.end());
      *self = std::thread([this, self] { Loop(self); });
    }
  }
  cv_.notify_one();
  for (auto& t : ended) t.join();  // they have returned, or are returning, from Loop
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
  for (;;) {
    ++idle_;
    const bool woken = cv_.wait_for(lock, idle_for_, [&] { return stopping_ || !jobs_.empty(); });
    --idle_;
    if (stopping_) return;  // the destructor joins it
    if (!woken) {
      // Idle for idle_for: this worker ends; the next Post (or the
      // destructor) joins its thread.
      ended_.splice(ended_.end(), workers_, self);
      return;
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
