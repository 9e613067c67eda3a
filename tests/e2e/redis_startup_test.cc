// A broker started before its external Redis can take writes waits for it
// (--redis-wait-s) instead of exiting: the Redis not listening yet, and
// behind Sentinel a replica that cannot acknowledge (WAIT 1 not met).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/eventually.h"
#include "tests/support/redis_sentinel.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

constexpr const char* kRefused = "redis refused the startup";

// Does `then` once the broker's log says it is waiting (in a thread, as
// Start() blocks until the broker serves or exits).
std::thread OnceWaiting(const testing::BrokerProcess& broker, std::function<void()> then) {
  return std::thread([&broker, then = std::move(then)] {
    if (testing::Eventually([&] { return broker.Log().find(kRefused) != std::string::npos; }, std::chrono::seconds(60))) then();
  });
}

TEST(RedisStartup, ABrokerStartedBeforeItsRedisWaitsAndServesOnceItIsUp) {
  testing::TempDir dir;
  const int redis_port = testing::FreeTcpPort();
  testing::BrokerProcess broker({"--redis", "redis://127.0.0.1:" + std::to_string(redis_port), "--demo"}, dir.path() + "/broker.log");
  std::unique_ptr<testing::ChildProcess> redis;
  // A child dies with the thread that started it (PR_SET_PDEATHSIG): the
  // thread that starts Redis lives until the test is over.
  std::atomic<bool> test_over{false};
  std::thread start_redis = OnceWaiting(broker, [&] {
    redis = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", dir.path()},
        dir.path() + "/redis.log", redis_port);
    testing::Eventually([&] { return test_over.load(); }, std::chrono::seconds(300));
    redis.reset();
  });
  struct JoinAtEnd {
    std::atomic<bool>& over;
    std::thread& t;
    ~JoinAtEnd() {
      over = true;
      t.join();
    }
  } join_at_end{test_over, start_redis};
  const bool started = broker.Start();
  ASSERT_TRUE(started) << broker.Log();
  ASSERT_TRUE(redis && redis->ready());
  EXPECT_NE(broker.Log().find(kRefused), std::string::npos);
  // It serves the demo catalog it loaded once Redis was there.
  EXPECT_EQ(broker.Call("GET", "/v1/providers/hanbit-cloud").status, 200) << broker.Log();
  broker.Kill(SIGTERM);  // before its Redis
}

TEST(RedisStartup, WithNoWaitItExitsAtTheFirstRefusal) {
  testing::TempDir dir;
  const int redis_port = testing::FreeTcpPort();  // nothing listens there
  testing::BrokerProcess broker({"--redis", "redis://127.0.0.1:" + std::to_string(redis_port), "--redis-wait-s", "0"}, dir.path() + "/broker.log");
  EXPECT_FALSE(broker.Start());
  ASSERT_TRUE(WIFEXITED(broker.exit_status())) << broker.Log();
  EXPECT_EQ(WEXITSTATUS(broker.exit_status()), 1) << broker.Log();
  EXPECT_EQ(broker.Log().find(kRefused), std::string::npos) << broker.Log();
}

// A supervisor stopping a broker that waits (SIGTERM) is not held until
// the wait runs out.
TEST(RedisStartup, AStopSignalEndsTheWait) {
  testing::TempDir dir;
  const int redis_port = testing::FreeTcpPort();  // nothing listens there
  testing::BrokerProcess broker({"--redis", "redis://127.0.0.1:" + std::to_string(redis_port), "--redis-wait-s", "3600"}, dir.path() + "/broker.log");
  std::thread stop = OnceWaiting(broker, [&] { broker.Signal(SIGTERM); });
  const bool started = broker.Start();
  stop.join();
  EXPECT_FALSE(started);
  ASSERT_TRUE(WIFEXITED(broker.exit_status())) << broker.Log();
  EXPECT_EQ(WEXITSTATUS(broker.exit_status()), 1) << broker.Log();
  EXPECT_NE(broker.Log().find("while waiting for Redis"), std::string::npos) << broker.Log();
}

// Behind Sentinel, every write waits for the replica (WAIT 1): a replica
// that cannot answer refuses the broker's first writes, and the broker
// starts once it answers again.
TEST(RedisStartup, BehindSentinelItWaitsForAReplicaToAcknowledge) {
  testing::TempDir dir;
  testing::RedisWithSentinels redis(dir.path() + "/redis");
  ASSERT_TRUE(redis.ready()) << redis.Logs();
  const int replica = redis.OtherPort(redis.MasterPort());
  redis.Pause(replica, true);
  testing::BrokerProcess broker({"--redis", redis.Url(), "--demo"}, dir.path() + "/broker.log");
  std::thread resume = OnceWaiting(broker, [&] { redis.Pause(replica, false); });
  const bool started = broker.Start();
  redis.Pause(replica, false);
  resume.join();
  ASSERT_TRUE(started) << broker.Log() << "\n" << redis.Logs();
  EXPECT_NE(broker.Log().find(kRefused), std::string::npos) << broker.Log();
  EXPECT_EQ(broker.Call("GET", "/v1/providers/hanbit-cloud").status, 200) << broker.Log();
}

}  // namespace
}  // namespace icb
