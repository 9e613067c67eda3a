// The Store port on a Redis Cluster of three masters on loopback: the
// conformance suite, key groups spread over the masters with each atomic
// write in one slot, and slots moved under load (one slot key batch by key
// batch, then redis-cli's resharding of many) with every acknowledged write
// there afterwards and no error reaching a caller.
#include <atomic>
#include <thread>

#include "broker/qos/sample_store.h"
#include "broker/store/cluster_slot.h"
#include "broker/store/redis_store.h"
#include "tests/support/eventually.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_commands.h"
#include "tests/support/store_conformance.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

// One cluster for the whole binary: starting three nodes and joining them
// takes seconds. Every test starts from an empty one.
testing::RedisCluster& SharedCluster() {
  static testing::TempDir dir;
  static testing::RedisCluster cluster(dir.path() + "/cluster");
  return cluster;
}

std::unique_ptr<Store> ClusterStore(RedisStoreOptions options = {}) {
  testing::RedisCluster& cluster = SharedCluster();
  EXPECT_TRUE(cluster.ready()) << cluster.Logs();
  cluster.Flush();
  options.address = *ParseRedisUrl(cluster.Url());
  return NewRedisStore(std::move(options));
}

struct RedisClusterFactory {
  std::unique_ptr<Store> Make() { return ClusterStore(); }
  // The key's expiry, as on one server: a key without a hash tag is in
  // the control group ({icb}) on a cluster.
  void ExpireLease(const std::string& name) {
    const std::string key = "{icb}icb:lease:" + name;
    testing::AskRedis(SharedCluster().PortOfSlot(ClusterSlotOf(key)), {"DEL", key});
  }
};

using RedisClusterFactories = ::testing::Types<RedisClusterFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(RedisCluster, StoreConformance, RedisClusterFactories);

const TimePoint kDay = TimePoint(std::chrono::duration_cast<Millis>(std::chrono::days(20'393)));  // 2025-11-01T00:00Z

QosSample Sample(const std::string& provider, const std::string& endpoint, TimePoint ts) {
  QosSample s;
  s.provider = provider;
  s.endpoint = endpoint;
  s.vantage = "seoul";
  s.ts = ts;
  s.interval = Millis(1000);
  s.ok = true;
  s.status = 200;
  s.latency_ms = 12;
  return s;
}

size_t Loaded(SampleStore& samples, const std::string& provider) {
  auto series = samples.Load(provider, kDay, kDay + std::chrono::days(1));
  EXPECT_TRUE(series.ok()) << series.status().ToString();
  size_t n = 0;
  if (series.ok())
    for (const auto& s : *series) n += s.samples.size();
  return n;
}

TEST(RedisClusterStore, SeriesSpreadOverTheMastersAndAWriteAcrossGroupsIsRefusedWhole) {
  auto store = ClusterStore();
  EXPECT_EQ(store->KeyGroup("aws:api:seoul"), "{aws:api:seoul}");
  SampleStore samples(*store);
  std::vector<QosSample> batch;
  for (int p = 0; p < 4; ++p)
    for (int e = 0; e < 10; ++e)
      for (int k = 0; k < 3; ++k) batch.push_back(Sample("p" + std::to_string(p), "e" + std::to_string(e), kDay + std::chrono::seconds(k)));
  auto appended = samples.Append(batch);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(appended->accepted, 120);
  EXPECT_EQ(samples.Append(batch)->accepted, 0);  // a retry adds nothing
  for (int p = 0; p < 4; ++p) EXPECT_EQ(Loaded(samples, "p" + std::to_string(p)), 30u);
  // 40 series and 4 providers' lists hash to slots of all three masters.
  for (long long keys : SharedCluster().KeysPerNode()) EXPECT_GT(keys, 0);

  // Keys of two groups cannot be written atomically on a cluster: refused
  // before anything is written.
  WriteBatch across;
  across.HashSet("h" + store->KeyGroup("a"), "f", "1").HashSet("h" + store->KeyGroup("b"), "f", "1");
  auto r = store->Apply(across);
  EXPECT_EQ(r.status().code(), StatusCode::kInternal) << r.status().ToString();  // a bug in the caller, not the client's
  EXPECT_FALSE(store->HashGet("h" + store->KeyGroup("a"), "f")->has_value());
  auto cas = store->CompareAndSetAll({{"r" + store->KeyGroup("a"), 0, "x", {}, {}}, {"r" + store->KeyGroup("b"), 0, "y", {}, {}}}, {});
  EXPECT_FALSE(cas.ok());
  EXPECT_FALSE(store->GetVersioned("r" + store->KeyGroup("a"))->has_value());
}

// Two writers append sample batches (series of their own provider), two
// write a versioned record each with an audit-like log entry, while the
// control group's slot moves two keys at a time, redis-cli moves 2,000
// slots, and a series' slot moves. Every call succeeds (MOVED, ASK and
// TRYAGAIN are followed inside the store), and everything acknowledged is
// there afterwards.
TEST(RedisClusterStore, SlotsMovingUnderLoadLoseNothingAcknowledgedAndNoCallFails) {
  Counter redirections;
  RedisStoreOptions options;
  options.redirections = &redirections;
  auto store = ClusterStore(options);
  testing::RedisCluster& cluster = SharedCluster();
  SampleStore samples(*store);
  std::atomic<bool> stop{false};
  std::atomic<long long> sample_acks[2] = {0, 0}, record_acks[2] = {0, 0};
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto failed = [&](const Status& s) {
    std::lock_guard lock(failure_mu);
    if (failures++ == 0) first_failure = s.ToString();
  };
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      const std::string provider = "p" + std::to_string(t);
      for (long long b = 0; !stop; ++b) {
        std::vector<QosSample> batch;
        for (int k = 0; k < 25; ++k) batch.push_back(Sample(provider, "e" + std::to_string(k % 10), kDay + std::chrono::seconds(b * 3 + k / 10)));
        auto r = samples.Append(batch);
        if (!r.ok()) {
          failed(r.status());
          --b;  // the client sends it again
          continue;
        }
        sample_acks[t] += static_cast<long long>(batch.size());
      }
    });
    writers.emplace_back([&, t] {
      const std::string key = "cas:" + std::to_string(t), index = "w" + std::to_string(t);
      long long version = 0;
      while (!stop) {
        const std::string member = key + "-" + std::to_string(version + 1);
        CasWrite w{key, version, std::to_string(version + 1), {{"cas:all", key}}, {}};
        AppendGroup log{"cas:seen", "cas:log", {{member, member}}, true, {{index}}, {version}};
        auto r = store->CompareAndSetAll({w}, {log});
        if (!r.ok()) {
          failed(r.status());
          continue;
        }
        version = r->front();
        ++record_acks[t];
      }
    });
  }
  auto progressed = [&](long long by) {
    const long long s0 = sample_acks[0] + sample_acks[1], r0 = record_acks[0] + record_acks[1];
    return testing::Eventually([&] { return sample_acks[0] + sample_acks[1] > s0 + by && record_acks[0] + record_acks[1] > r0 + by; });
  };
  ASSERT_TRUE(progressed(50));
  const std::vector<int> ports = cluster.Ports();
  auto elsewhere = [&](int slot) { return cluster.PortOfSlot(slot) == ports[0] ? ports[1] : ports[0]; };
  const int control = ClusterSlotOf("icb");
  EXPECT_EQ(cluster.MoveSlot(control, elsewhere(control)), "");
  ASSERT_TRUE(progressed(50));
  auto [rc, out] = cluster.Reshard(ports[2], ports[1], 2000);
  EXPECT_EQ(rc, 0) << out;
  ASSERT_TRUE(progressed(50));
  const int series = ClusterSlotOf("p0:e0:seoul");
  EXPECT_EQ(cluster.MoveSlot(series, elsewhere(series), 1, 5), "");
  ASSERT_TRUE(progressed(50));
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_TRUE(cluster.Consistent()) << cluster.Logs();

  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_GT(redirections.value(), 0);
  for (int t = 0; t < 2; ++t) {
    EXPECT_EQ(static_cast<long long>(Loaded(samples, "p" + std::to_string(t))), sample_acks[t]);
    auto record = store->GetVersioned("cas:" + std::to_string(t));
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->version, record_acks[t]);
    size_t listed = 0;
    for (long long after = 0;;) {
      auto page = store->LogRead("cas:log", "w" + std::to_string(t), after, 1000);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (page->empty()) break;
      listed += page->size();
      after = page->back().seq;
    }
    EXPECT_EQ(static_cast<long long>(listed), record_acks[t]);
  }
  auto stat = store->LogStat("cas:log");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(static_cast<long long>(stat->records), record_acks[0] + record_acks[1]);
  std::printf("slots moved under load: %lld samples and %lld records acknowledged, all there; %.0f redirections followed; 0 failed calls\n",
              sample_acks[0] + sample_acks[1], record_acks[0] + record_acks[1], redirections.value());
}

}  // namespace
}  // namespace icb
