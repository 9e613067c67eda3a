// A bounded pool of threads running posted jobs, the most urgent first: a
// job with a lower `rank` (priority 1 before 2) runs before one with a
// higher, and among equal ranks the one posted first. For work that waits
// on the network for seconds (a provider's control plane), so that it holds
// one worker of a bounded pool instead of the scheduler or a thread of its
// own.
//
// Workers start as jobs need them, up to the bound, and one left idle for
// `idle_for` ends. Why not a fixed set: a thread keeps a cache of freed
// blocks for itself (glibc's tcache, up to a few hundred KiB each), so 32
// workers that once placed thousands of workloads held 5.6 MiB of the heap
// for good, a third of what those workloads themselves cost; a worker that
// ends hands its cache back. A disaster's burst starts them again in
// microseconds each.
//
// A job goes to the worker idle the shortest time (a stack, each worker
// woken by name): with a condition variable's turn-taking, a job every
// second kept all 32 of a burst's workers alive, each idle under 30 s
// (the soak's leader: 50 threads from its first failover to the end).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <queue>
#include <thread>
#include <tuple>
#include <vector>

namespace icb {

class WorkerPool {
 public:
  explicit WorkerPool(int max_threads, std::chrono::milliseconds idle_for = std::chrono::seconds(30));
  // Waits for the jobs running to end and joins the workers; jobs not yet
  // started are dropped (their owner finds the work again where it keeps
  // it: the runner, in the operations' records).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(int64_t rank, std::function<void()> job);
  // Jobs posted and not yet started.
  size_t Queued() const;
  // Workers alive now (at most max_threads()).
  int threads() const;
  int max_threads() const { return max_threads_; }

 private:
  struct Job {
    int64_t rank;
    uint64_t seq;
    std::function<void()> run;
    // The priority queue pops its largest: the most urgent compares largest.
    bool operator<(const Job& o) const { return std::tie(o.rank, o.seq) < std::tie(rank, seq); }
  };
  struct Worker {
    std::thread thread;
    std::condition_variable wake;
    bool woken = false;  // handed a job by Post (set and read under mu_)
  };
  using Workers = std::list<Worker>;
  void Loop(Workers::iterator self);

  const int max_threads_;
  const std::chrono::milliseconds idle_for_;
  mutable std::mutex mu_;
  std::priority_queue<Job> jobs_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<Worker*> idle_;  // waiting for a job, the last to start waiting last
  Workers workers_;   // alive
  Workers ended_;     // returned from Loop, not yet joined
};

}  // namespace icb
