// The embedded redis-server's guard of its data directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "broker/store/embedded_redis.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

TEST(EmbeddedRedis, DataSurvivesAStopAndStart) {
  testing::TempDir dir;
  {
    auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
    auto store = NewRedisStore({.address = redis->address()});
    WriteBatch b;
    b.HashSet("h", "k", "v");
    ASSERT_TRUE(store->Apply(b).ok());
  }
  auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
  EXPECT_EQ(**NewRedisStore({.address = redis->address()})->HashGet("h", "k"), "v");
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/appendonlydir"));
}

TEST(EmbeddedRedis, SecondBrokerOnTheSameDirectoryIsRefused) {
  testing::TempDir dir;
  auto first = EmbeddedRedis::Start({.data_dir = dir.path()});
  ASSERT_TRUE(first.ok());
  auto second = EmbeddedRedis::Start({.data_dir = dir.path()});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use by another icbroker (pid " + std::to_string(getpid()) + ")"), std::string::npos)
      << second.status().message();
  // The first one is unharmed.
  EXPECT_TRUE(NewRedisStore({.address = (*first)->address()})->Ping().ok());
}

TEST(EmbeddedRedis, TakesOverARedisLeftRunningByACrashedBroker) {
  testing::TempDir dir;
  std::string sock = dir.path() + "/redis.sock";
  // A redis-server on the directory's socket and pid file, as a broker that
  // died without its PDEATHSIG firing would leave it; no lock is held.
  pid_t orphan = fork();
  if (orphan == 0) {
    execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock.c_str(), "--dir", dir.path().c_str(),
           "--pidfile", (dir.path() + "/redis.pid").c_str(), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
           "--loglevel", "warning", static_cast<char*>(nullptr));
    _exit(127);
  }
  RedisStoreOptions o;
  o.address.unix_path = sock;
  std::unique_ptr<Store> direct;
  for (int i = 0; i < 500; ++i) {
    direct = NewRedisStore(o);
    if (direct->Ping().ok() && std::filesystem::exists(dir.path() + "/redis.pid")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  WriteBatch b;
  b.HashSet("h", "written-before-crash", "1");
  ASSERT_TRUE(direct->Apply(b).ok());
  direct.reset();

  auto redis = EmbeddedRedis::Start({.data_dir = dir.path()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  int status = 0;
  EXPECT_EQ(waitpid(orphan, &status, 0), orphan);  // the orphan was shut down
  EXPECT_NE((*redis)->pid(), orphan);
  EXPECT_EQ(**NewRedisStore({.address = (*redis)->address()})->HashGet("h", "written-before-crash"), "1");
}

TEST(EmbeddedRedis, StopLeavesNoProcess) {
  testing::TempDir dir;
  auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
  pid_t pid = redis->pid();
  ASSERT_TRUE(Alive(pid));
  ASSERT_TRUE(redis->Stop().ok());
  EXPECT_FALSE(Alive(pid));
}

TEST(EmbeddedRedis, MissingBinaryIsAClearError) {
  testing::TempDir dir;
  auto r = EmbeddedRedis::Start({.data_dir = dir.path(), .redis_server = "/nonexistent/redis-server",
                                 .ready_timeout = std::chrono::milliseconds(20000)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("redis-server keeps exiting"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace icb
