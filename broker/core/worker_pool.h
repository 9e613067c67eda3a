// A fixed pool of threads running posted jobs, the most urgent first: a job
// with a lower `rank` (priority 1 before 2) runs before one with a higher,
// and among equal ranks the one posted first. For work that waits on the
// network for seconds (a provider's control plane), so that it holds one
// worker of a bounded pool instead of the scheduler or a thread of its own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <tuple>
#include <vector>

namespace icb {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  // Waits for the jobs running to end and joins the workers; jobs not yet
  // started are dropped (their owner finds the work again where it keeps
  // it: the runner, in the operations' records).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(int64_t rank, std::function<void()> job);
  // Jobs posted and not yet started.
  size_t Queued() const;
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  struct Job {
    int64_t rank;
    uint64_t seq;
    std::function<void()> run;
    // The priority queue pops its largest: the most urgent compares largest.
    bool operator<(const Job& o) const { return std::tie(o.rank, o.seq) < std::tie(rank, seq); }
  };
  void Loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Job> jobs_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace icb
