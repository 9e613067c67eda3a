// Operation records: round trip, indexes kept with each write, a lost race
// refused, and a runner whose lease moved on cannot write at all.
#include <gtest/gtest.h>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/operation.h"

namespace icb {
namespace {

const TimePoint kNow = *ParseRfc3339("2026-12-01T00:00:00Z");

Operation Failover(const std::string& id, const std::string& workload) {
  Operation op;
  op.id = id;
  op.kind = "failover";
  op.workload = workload;
  op.source = "a";
  op.created_at = op.updated_at = kNow;
  op.idempotency_key = "key-" + id;
  for (const char* name : {"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify", "drain_source"})
    op.steps.push_back({name, StepState::kPending, std::nullopt, std::nullopt, 0, nlohmann::json::object()});
  return op;
}

TEST(OperationStore, RoundTripsAndKeepsItsIndexesWithEachWrite) {
  ManualClock clock(kNow);
  auto store = NewMemoryStore(&clock);
  OperationStore ops(*store);
  auto lease = **store->AcquireLease("orchestrator", "broker-1", Millis(10'000));
  Fence fence{"orchestrator", lease.epoch};

  Operation op = Failover("op-1", "shop");
  ASSERT_TRUE(ops.Create(op, &fence).ok());
  EXPECT_EQ(op.version, 1);
  EXPECT_EQ(ops.Create(op, &fence).code(), StatusCode::kAborted);  // the id is taken
  EXPECT_EQ(*ops.Unfinished(), std::vector<std::string>{"op-1"});
  EXPECT_EQ(*ops.OfWorkload("shop"), std::vector<std::string>{"op-1"});

  // A step recorded before it runs and after it ends.
  op.state = OperationState::kRunning;
  op.steps[0].state = StepState::kRunning;
  op.steps[0].started_at = kNow;
  op.steps[0].attempts = 1;
  ASSERT_TRUE(ops.Update(op, &fence).ok());
  op.steps[0].state = StepState::kSucceeded;
  op.steps[0].ended_at = kNow + Millis(250);
  op.steps[0].detail = {{"target", "b"}};
  op.target = "b";
  ASSERT_TRUE(ops.Update(op, &fence).ok());
  EXPECT_EQ(op.version, 3);

  auto read = **ops.Get("op-1");
  EXPECT_EQ(OperationToJson(read), OperationToJson(op));
  EXPECT_EQ(read.version, 3);
  EXPECT_EQ(read.steps[0].detail["target"], "b");
  EXPECT_EQ(*read.steps[0].ended_at, kNow + Millis(250));

  // Finished: out of the unfinished index, still listed.
  read.state = OperationState::kSucceeded;
  ASSERT_TRUE(ops.Update(read, &fence).ok());
  EXPECT_TRUE(ops.Unfinished()->empty());
  EXPECT_EQ(ops.Page(Scope(TenantSpace::Default(), true), "", 10)->ids, std::vector<std::string>{"op-1"});
  EXPECT_FALSE(ops.Get("op-2")->has_value());
}

// Every operation is listed in a sorted index as it is created: a page reads
// its ids only. Operations a store held from before the index (in a set)
// are moved into it once.
TEST(OperationStore, PagesReadTheSortedIndexAndOperationsFromBeforeItAreIndexedOnce) {
  ManualClock clock(kNow);
  auto store = NewMemoryStore(&clock);
  OperationStore ops(*store);
  for (const char* id : {"op-3", "op-1", "op-2"}) {
    Operation op = Failover(id, "shop");
    ASSERT_TRUE(ops.Create(op, nullptr).ok());
  }
  WriteBatch older;  // as an older broker listed them
  older.SetAdd("icb:operations", "op-0").SetAdd("icb:operations", "op-1");
  ASSERT_TRUE(store->Apply(older).ok());
  auto page = ops.Page(Scope(TenantSpace::Default(), true), "", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->ids, (std::vector<std::string>{"op-1", "op-2"}));
  EXPECT_EQ(page->next, "op-2");
  page = ops.Page(Scope(TenantSpace::Default(), true), "op-2", 2);
  EXPECT_EQ(page->ids, std::vector<std::string>{"op-3"});
  EXPECT_FALSE(page->next.has_value());
  ASSERT_TRUE(ops.IndexStored().ok());
  EXPECT_EQ(ops.Page(Scope(TenantSpace::Default(), true), "", 10)->ids, (std::vector<std::string>{"op-0", "op-1", "op-2", "op-3"}));
  EXPECT_EQ(*store->Exists({"icb:operations"}), std::vector<bool>{false});  // the old set is gone
  ASSERT_TRUE(store->Apply(std::move(WriteBatch().SetAdd("icb:operations", "op-9"))).ok());
  ASSERT_TRUE(ops.IndexStored().ok());  // once per store
  EXPECT_EQ(ops.Page(Scope(TenantSpace::Default(), true), "op-3", 10)->ids, std::vector<std::string>{});
}

TEST(OperationStore, ALostRaceAndAStaleEpochChangeNothing) {
  ManualClock clock(kNow);
  auto store = NewMemoryStore(&clock);
  OperationStore ops(*store);
  auto first = **store->AcquireLease("orchestrator", "broker-1", Millis(1000));
  Fence old_fence{"orchestrator", first.epoch};
  Operation op = Failover("op-1", "shop");
  ASSERT_TRUE(ops.Create(op, &old_fence).ok());

  // Two copies read at version 1: the second writer loses.
  Operation a = **ops.Get("op-1"), b = a;
  a.reason = "a";
  b.reason = "b";
  ASSERT_TRUE(ops.Update(a, &old_fence).ok());
  EXPECT_EQ(ops.Update(b, &old_fence).code(), StatusCode::kAborted);
  EXPECT_EQ(ops.Get("op-1")->value().reason, "a");

  // broker-1 stalls past its lease; broker-2 takes it over.
  clock.Advance(Millis(1500));
  auto second = **store->AcquireLease("orchestrator", "broker-2", Millis(1000));
  ASSERT_GT(second.epoch, first.epoch);
  Operation late = **ops.Get("op-1");
  late.state = OperationState::kFailed;
  EXPECT_EQ(ops.Update(late, &old_fence).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ops.Get("op-1")->value().state, OperationState::kPending);
  EXPECT_EQ(*ops.Unfinished(), std::vector<std::string>{"op-1"});
  Fence new_fence{"orchestrator", second.epoch};
  EXPECT_TRUE(ops.Update(late, &new_fence).ok());
  EXPECT_TRUE(ops.Unfinished()->empty());
}

TEST(OperationStore, ARecoveryIsListedUnderEachOfItsWorkloads) {
  auto store = NewMemoryStore();
  OperationStore ops(*store);
  Operation op;
  op.id = "rec-1";
  op.kind = "recovery";
  op.workloads = {"web", "db", "web"};
  op.created_at = op.updated_at = kNow;
  ASSERT_TRUE(ops.Create(op, nullptr).ok());
  EXPECT_EQ(*ops.OfWorkload("db"), std::vector<std::string>{"rec-1"});
  EXPECT_EQ(*ops.OfWorkload("web"), std::vector<std::string>{"rec-1"});
  EXPECT_TRUE(ops.OfWorkload("other")->empty());
}

TEST(OperationStore, CorruptRecordsAreInternalNotACrash) {
  EXPECT_EQ(OperationFromJson(nlohmann::json::object()).status().code(), StatusCode::kInternal);
  EXPECT_EQ(OperationFromJson({{"id", "x"}, {"kind", "k"}, {"state", "exploded"}, {"steps", nlohmann::json::array()}}).status().code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace icb
