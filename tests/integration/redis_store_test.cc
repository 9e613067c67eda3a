// The Store port against a real redis-server (started per test in a temp dir).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <hiredis/hiredis.h>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/redis_store.h"
#include "tests/support/store_conformance.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

// Ends a lease now, as its TTL running out on the server would: deleting
// the key is what expiry does, without the test depending on wall time.
void ExpireLeaseOnServer(const RedisAddress& a, const std::string& name) {
  redisContext* c = a.unix_path.empty() ? redisConnect(a.host.c_str(), a.port) : redisConnectUnix(a.unix_path.c_str());
  ASSERT_TRUE(c != nullptr && c->err == 0);
  auto* r = static_cast<redisReply*>(redisCommand(c, "DEL icb:lease:%s", name.c_str()));
  ASSERT_TRUE(r != nullptr);
  freeReplyObject(r);
  redisFree(c);
}

// Unix socket flavour.
struct RedisUnixFactory {
  testing::TempDir dir;
  std::unique_ptr<EmbeddedRedis> redis;
  std::unique_ptr<Store> Make() {
    auto r = EmbeddedRedis::Start({.data_dir = dir.path()});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    redis = std::move(r).value();
    return NewRedisStore({.address = redis->address()});
  }
  void ExpireLease(const std::string& name) { ExpireLeaseOnServer(redis->address(), name); }
};

// TCP flavour on a random loopback port, through a redis:// URL.
struct RedisTcpFactory {
  testing::TempDir dir;
  std::unique_ptr<EmbeddedRedis> redis;
  std::optional<RedisAddress> address;
  std::unique_ptr<Store> Make() {
    int port = testing::FreeTcpPort();
    auto r = EmbeddedRedis::Start({.data_dir = dir.path(), .tcp_port = port});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    redis = std::move(r).value();
    address = *ParseRedisUrl("redis://127.0.0.1:" + std::to_string(port));
    return NewRedisStore({.address = *address});
  }
  void ExpireLease(const std::string& name) { ExpireLeaseOnServer(*address, name); }
};

using RedisFactories = ::testing::Types<RedisUnixFactory, RedisTcpFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, StoreConformance, RedisFactories);

TEST(RedisStore, SurvivesRedisBeingKilledAndRestarted) {
  testing::TempDir dir;
  auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
  auto store = NewRedisStore({.address = redis->address(), .probe_interval = std::chrono::milliseconds(50)});
  WriteBatch b;
  b.HashSet("h", "acked", "yes");
  ASSERT_TRUE(store->Apply(b).ok());

  pid_t old_pid = redis->pid();
  ASSERT_EQ(kill(old_pid, SIGKILL), 0);  // a crash: no shutdown, no save
  // Until the supervisor has a new server up, calls fail cleanly (no hang, no crash).
  Status during;
  for (int i = 0; i < 2000; ++i) {
    during = store->Ping();
    if (during.ok() && redis->pid() != old_pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(during.ok()) << during.ToString();
  EXPECT_GE(redis->restarts(), 1);
  // appendfsync always: the write acknowledged before the crash is there.
  EXPECT_EQ(**store->HashGet("h", "acked"), "yes");
}

TEST(RedisStore, UnreachableServerIsUnavailableNotAHang) {
  auto store = NewRedisStore({.address = *ParseRedisUrl("unix:///tmp/icb-no-such-socket.sock"),
                              .connect_timeout = std::chrono::milliseconds(200)});
  Status s = store->Ping();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  // The second call is answered from the store's down state without dialling again.
  Status again = store->Ping();
  EXPECT_EQ(again.code(), StatusCode::kUnavailable);
}

// A stopped Redis (SIGSTOP) still accepts connections and answers
// nothing: every call fails as Unavailable instead of waiting, and once it
// runs again the store is back without a restart of the broker. Latencies
// are printed, not asserted (the timeouts bound them: docs/features.md).
TEST(RedisStore, AStoppedRedisIsUnavailableAtOnceAndBackWhenItResumes) {
  testing::TempDir dir;
  auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
  auto store = NewRedisStore({.address = redis->address(), .pool_size = 4});
  WriteBatch b;
  b.HashSet("h", "acked", "yes");
  ASSERT_TRUE(store->Apply(b).ok());
  ASSERT_EQ(kill(redis->pid(), SIGSTOP), 0);
  // Four callers at once, 25 calls each, reads and writes.
  std::atomic<int> unavailable{0}, other{0};
  std::atomic<long long> worst_us{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const auto start = std::chrono::steady_clock::now();
        Status s;
        if (i % 2) {
          auto r = store->HashGet("h", "acked");
          s = r.ok() ? Status::Ok() : r.status();
        } else {
          WriteBatch w;
          w.HashSet("h", "during-" + std::to_string(t), std::to_string(i));
          auto r = store->Apply(w);
          s = r.ok() ? Status::Ok() : r.status();
        }
        const long long us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
        long long seen = worst_us.load();
        while (us > seen && !worst_us.compare_exchange_weak(seen, us)) {
        }
        (s.code() == StatusCode::kUnavailable ? unavailable : other)++;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(unavailable.load(), 100);
  EXPECT_EQ(other.load(), 0);
  ASSERT_EQ(kill(redis->pid(), SIGCONT), 0);
  const auto resumed = std::chrono::steady_clock::now();
  Status back;
  for (int i = 0; i < 2000 && !(back = store->Ping()).ok(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(back.ok()) << back.ToString();
  const long long back_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - resumed).count();
  EXPECT_EQ(**store->HashGet("h", "acked"), "yes");
  std::printf("stopped Redis: 100 calls from 4 threads all Unavailable, slowest %.0f ms; answering again %lld ms after SIGCONT\n",
              static_cast<double>(worst_us.load()) / 1000.0, back_ms);
}

TEST(RedisCatalog, ReplicasSeeEachOthersWrites) {
  testing::TempDir dir;
  auto redis = std::move(EmbeddedRedis::Start({.data_dir = dir.path()})).value();
  auto store_a = NewRedisStore({.address = redis->address()});
  auto store_b = NewRedisStore({.address = redis->address()});
  auto schemas = *SchemaSet::LoadEmbedded();
  Catalog a(*store_a, schemas), b(*store_b, schemas);
  ASSERT_EQ((*b.Snapshot())->providers.size(), 0u);
  ASSERT_TRUE(a.PutProvider("p1", testing::ProviderDoc("p1")).ok());
  ASSERT_TRUE(a.AppendSla("p1", testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  auto snap = *b.Snapshot();
  ASSERT_EQ(snap->providers.size(), 1u);
  ASSERT_EQ(snap->providers[0].slas.size(), 1u);
  EXPECT_EQ(b.AppendSla("p1", testing::SlaDoc("v1", "2026-02-01T00:00:00Z", nlohmann::json::object())).status().code(),
            StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace icb
