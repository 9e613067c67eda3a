// Replication and the failover's data on the memory fakes: an incremental
// warm copy with its lag raised once, a failover that reports the RPO its
// replica achieved, and the delta a failover copies when its source still
// answers (or reports the replica's window when it does not).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/kinds/migration.h"
#include "broker/orchestrator/state/replica.h"
#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/migration_fixture.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabCatalog;
using testing::Bytes;
using testing::CountingTarget;
using testing::DyingStore;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::MigrationTest;
using testing::PutObject;
using testing::Read;
using testing::WorkloadDoc;

TEST_F(MigrationTest, ReplicationKeepsAnIncrementalWarmCopyAndRaisesItsLagOnce) {
  auto data = Seed("shop/", 6);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 30}};
  doc["rpo_s"] = 45;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto whole_puts = std::make_shared<int>(0);
  adapters_.wrap_objects = [whole_puts](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    struct Counting final : ObjectStoreWrapper {
      Counting(ObjectStore& s, std::shared_ptr<int> n) : ObjectStoreWrapper(s), n_(std::move(n)) {}
      icb::Status Put(std::string_view k, ByteSource& src, uint64_t n) override {
        ++*n_;
        return ObjectStoreWrapper::Put(k, src, n);
      }
      Result<std::string> StartParts(std::string_view k) override {
        ++*n_;
        return ObjectStoreWrapper::StartParts(k);
      }
      std::shared_ptr<int> n_;
    };
    if (p != "sim-b") return std::make_unique<ObjectStoreWrapper>(s);
    return std::make_unique<Counting>(s, whole_puts);
  };
  auto o = Make(*store_);
  Drive(*o);  // placed on sim-a
  EXPECT_FALSE(json::parse(*workloads_.Get("shop")).contains("replica"));  // none yet
  const TimePoint first = clock_.Now();
  ASSERT_EQ(*o->Replicate(), 1u);
  EXPECT_EQ(*o->Replicate(), 0u);  // one at a time
  Drive(*o);
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-b"), key), bytes);
  EXPECT_EQ(*whole_puts, 6);
  auto replica = GetReplica(*store_, "shop")->value();
  EXPECT_EQ(replica.provider, "sim-b");
  EXPECT_EQ(replica.verified_at, first);  // the moment its inventory listed the source
  EXPECT_TRUE(replica.running.empty());
  // The workload shows it, with its lag; a replication never claims the workload.
  clock_.Advance(Millis(10'000));
  json shown = json::parse(*workloads_.Get("shop"));
  EXPECT_EQ(shown["replica"]["provider"], "sim-b");
  EXPECT_EQ(shown["state"], "running");
  EXPECT_FALSE(shown.contains("operation"));
  EXPECT_NEAR(shown["replica"]["lag_s"].get<double>(), 10 + 0.25 * 4, 3);
  EXPECT_EQ(*o->Replicate(), 0u);  // not due yet (30 s)
  // One object changes and one is added: the next replication copies those two.
  PutObject(adapters_.objects("sim-a"), "shop/obj-3", "changed");
  PutObject(adapters_.objects("sim-a"), "shop/new", "new object");
  clock_.Advance(Millis(25'000));
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  EXPECT_EQ(*whole_puts, 8);
  EXPECT_EQ(Read(adapters_.objects("sim-b"), "shop/obj-3"), "changed");
  EXPECT_EQ(Read(adapters_.objects("sim-b"), "shop/new"), "new object");
  auto ops = OperationStore(*store_).OfWorkload("shop");
  std::string second;
  for (const auto& id : *ops)
    if (Op(id).kind == "replication" && Op(id).request.contains("previous")) second = id;
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(Op(second).Step("inventory")->detail["unchanged"]["objects"], 5);
  // No replication finishes for a while (the runner does not tick): past the RPO, one event.
  auto before = GetReplica(*store_, "shop")->value();
  clock_.Advance(Millis(50'000));
  (void)o->Replicate();
  (void)o->Replicate();
  AuditFilter f;
  f.kind = "rpo_exceeded";
  auto events = AuditLog(*store_).Query(f);
  ASSERT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->events[0].workload, "shop");
  EXPECT_EQ(events->events[0].provider, "sim-b");
  EXPECT_GT(events->events[0].inputs["lag_s"].get<double>(), 45);
  EXPECT_EQ(GetReplica(*store_, "shop")->value().verified_at, before.verified_at);
}

TEST_F(MigrationTest, AFailoverToTheReplicaReportsTheRpoAchieved) {
  Seed("shop/", 3);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "auto"}, {"interval_s", 600}};
  doc["rpo_s"] = 60;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  auto replica = GetReplica(*store_, "shop")->value();
  EXPECT_EQ(replica.provider, "sim-b");  // auto: the best failover target now
  clock_.Advance(Millis(20'000));
  probes_.down.insert("127.0.0.11");
  FailoverRequest r;
  r.trigger = "automatic";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  EXPECT_EQ(done.target, "sim-b");
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_EQ(sync["replica"]["provider"], "sim-b");
  EXPECT_TRUE(sync["copied"].get<bool>());
  const double achieved = sync["rpo_achieved_s"].get<double>();
  EXPECT_GE(achieved, 20.0);
  EXPECT_LE(achieved, 22.0);
  EXPECT_TRUE(sync["rpo_met"].get<bool>());
  EXPECT_EQ(sync["data_loss_window"]["from"], FormatRfc3339(*replica.verified_at));
}

TEST_F(MigrationTest, AFailoverWhoseSourceAnswersCopiesTheDeltaSinceTheReplicaFirst) {
  auto seeded = Seed("shop/", 4);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 600}};
  doc["rpo_s"] = 60;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  ASSERT_TRUE(GetReplica(*store_, "shop")->value().verified_at.has_value());
  // After the replica: one new object, one changed.
  const std::string added = Bytes(3000, 77), changed = Bytes(2500, 78);
  PutObject(adapters_.objects("sim-a"), "shop/new", added);
  PutObject(adapters_.objects("sim-a"), "shop/obj-1", changed);
  FailoverRequest r;
  r.to = "sim-b";
  r.reason = "planned maintenance at sim-a";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_TRUE(sync["copied"].get<bool>());
  EXPECT_EQ(sync["source"], "answers");
  EXPECT_EQ(sync["rpo_achieved_s"], 0);
  EXPECT_EQ(sync["delta"]["objects"], 5);
  EXPECT_EQ(sync["delta"]["verified"], 5);
  EXPECT_EQ(sync["delta"]["bytes_written"], added.size() + changed.size());  // only the delta went over
  seeded["shop/new"] = added;
  seeded["shop/obj-1"] = changed;
  for (const auto& [key, data] : seeded) EXPECT_EQ(Read(adapters_.objects("sim-b"), key), data) << key;
}

TEST_F(MigrationTest, AFailoverWhoseSourceDoesNotAnswerReportsTheReplicasWindow) {
  Seed("shop/", 2);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 600}};
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  // sim-a's storage is gone with it: listing it fails.
  struct Down final : ObjectStoreWrapper {
    using ObjectStoreWrapper::ObjectStoreWrapper;
    Result<ObjectPage> List(std::string_view, std::string_view, int) override { return Unavailable("connection refused"); }
  };
  adapters_.wrap_objects = [](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    if (p == "sim-a") return std::make_unique<Down>(s);
    return std::make_unique<ObjectStoreWrapper>(s);
  };
  FailoverRequest r;
  r.to = "sim-b";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok());
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_EQ(sync["replica"]["provider"], "sim-b");
  EXPECT_TRUE(sync.contains("data_loss_window"));
  EXPECT_NE(sync["source"].get<std::string>().find("does not answer"), std::string::npos) << sync.dump();
}

}  // namespace
}  // namespace icb
