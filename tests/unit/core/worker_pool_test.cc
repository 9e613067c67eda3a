#include "broker/core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "tests/support/eventually.h"

namespace icb {
namespace {

using icb::testing::Eventually;
using namespace std::chrono_literals;

// Holds the jobs that wait on it until opened.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(WorkerPool, StartsNoWorkerUntilAJobComes) {
  WorkerPool pool(4);
  EXPECT_EQ(pool.threads(), 0);
  EXPECT_EQ(pool.max_threads(), 4);
}

TEST(WorkerPool, RunsJobsSideBySideUpToItsBound) {
  WorkerPool pool(3);
  Gate gate;
  std::atomic<int> running{0}, most{0}, done{0};
  for (int i = 0; i < 10; ++i)
    pool.Post(1, [&] {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      gate.Wait();
      --running;
      ++done;
    });
  ASSERT_TRUE(Eventually([&] { return running.load() == 3; }));
  EXPECT_EQ(pool.threads(), 3);
  EXPECT_EQ(pool.Queued(), 7u);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return done.load() == 10; }));
  EXPECT_EQ(most.load(), 3);
}

TEST(WorkerPool, TheMostUrgentWaitingJobRunsFirstThenTheOldest) {
  WorkerPool pool(1);
  Gate gate;
  std::mutex mu;
  std::vector<int> order;
  pool.Post(0, [&] { gate.Wait(); });
  ASSERT_TRUE(Eventually([&] { return pool.Queued() == 0; }));  // the one worker holds it
  for (auto [rank, tag] : std::vector<std::pair<int, int>>{{3, 30}, {1, 10}, {2, 20}, {1, 11}})
    pool.Post(rank, [&, tag = tag] {
      std::lock_guard lock(mu);
      order.push_back(tag);
    });
  gate.Open();
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return order.size() == 4;
  }));
  EXPECT_EQ(order, (std::vector<int>{10, 11, 20, 30}));
}

TEST(WorkerPool, IdleWorkersEndAndNewJobsStartThemAgain) {
  WorkerPool pool(4, 20ms);
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i)
    pool.Post(1, [&] {
      gate.Wait();
      ++done;
    });
  ASSERT_TRUE(Eventually([&] { return pool.threads() == 4; }));
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return done.load() == 4; }));
  // Nothing more to do: every worker ends (their threads are joined by the
  // next Post or the destructor).
  ASSERT_TRUE(Eventually([&] { return pool.threads() == 0; }));
  pool.Post(1, [&] { ++done; });
  ASSERT_TRUE(Eventually([&] { return done.load() == 5; }));
  EXPECT_LE(pool.threads(), 1);
}

TEST(WorkerPool, AnIdleWorkerTakesTheNextJobWithoutANewThread) {
  WorkerPool pool(4, 60s);
  std::atomic<int> done{0};
  pool.Post(1, [&] { ++done; });
  ASSERT_TRUE(Eventually([&] { return done.load() == 1; }));
  for (int i = 0; i < 5; ++i) {
    pool.Post(1, [&] { ++done; });
    ASSERT_TRUE(Eventually([&] { return done.load() == 2 + i; }));
  }
  EXPECT_EQ(pool.threads(), 1);
}

// A burst starts every worker; afterwards a job now and then, more often
// than any one worker's idle_for were the jobs dealt out in turn, is taken
// by the worker idle the shortest time, so the others end.
TEST(WorkerPool, ATrickleOfJobsAfterABurstKeepsOneWorker) {
  WorkerPool pool(8, 200ms);
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 8; ++i)
    pool.Post(1, [&] {
      gate.Wait();
      ++done;
    });
  ASSERT_TRUE(Eventually([&] { return pool.threads() == 8; }));
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return done.load() == 8; }));
  // One job each time the last has run, with no pause: every worker would
  // see one every few microseconds were they taken in turn.
  int posted = 8;
  ASSERT_TRUE(Eventually(
      [&] {
        pool.Post(1, [&] { ++done; });
        ++posted;
        return Eventually([&] { return done.load() == posted; }) && pool.threads() <= 2;
      },
      30s));
  EXPECT_EQ(pool.Queued(), 0u);
}

TEST(WorkerPool, DestroyingItWaitsForTheJobsRunning) {
  std::atomic<int> ran{0};
  Gate gate;
  std::thread opener;
  {
    WorkerPool pool(2);
    pool.Post(1, [&] {
      gate.Wait();
      ++ran;
    });
    ASSERT_TRUE(Eventually([&] { return pool.threads() == 1 && pool.Queued() == 0; }));
    opener = std::thread([&] { gate.Open(); });
  }
  EXPECT_EQ(ran.load(), 1);
  opener.join();
}

}  // namespace
}  // namespace icb
