// Placing and failing over workloads on the memory fakes and a manual
// clock: every step of the plan, the choice of target (rank, capacity,
// recovery class), verification that sends a failover on to the next
// target, one operation per workload at a time, idempotency keys, and a
// broker killed at every write finishing with each provider effect once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabCatalog;
using testing::DyingStore;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::WorkloadDoc;


class OrchestratorTest : public testing::OrchestrationTest {
 protected:
  // Reconciles and runs until nothing is left to do (waits included, up to
  // `horizon` of simulated time).
  void Drive(Orchestrator& o, Millis horizon = Millis(0)) {
    const auto end = clock_.Monotonic() + horizon;
    for (;;) {
      (void)o.Reconcile();
      o.runner().Tick();
      if (o.runner().operations().Unfinished()->empty() || clock_.Monotonic() >= end) return;
      clock_.Advance(Millis(1000));
    }
  }
};

TEST_F(OrchestratorTest, ANewWorkloadIsPlacedOnceAndAChangeIsPlacedAgain) {
  auto o = Make(*store_);
  Put(WorkloadDoc("shop"));
  Drive(*o);
  WorkloadStatus s = Status("shop");
  EXPECT_EQ(s.placement, "sim-a");
  EXPECT_EQ(s.state, "running");
  EXPECT_TRUE(s.operation.empty());
  EXPECT_EQ(adapters_.compute("sim-a").State()->Find("shop")->instances, 4);
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.11");
  auto ops = OperationStore(*store_).OfWorkload("shop");
  ASSERT_EQ(ops->size(), 1u);
  Operation place = Op(ops->at(0));
  EXPECT_EQ(place.kind, "place");
  EXPECT_EQ(place.state, OperationState::kSucceeded) << place.reason;
  // Nothing changed: no new operation.
  Drive(*o);
  EXPECT_EQ(OperationStore(*store_).OfWorkload("shop")->size(), 1u);
  // More instances declared: placed again, scaled to the new number.
  json doc = WorkloadDoc("shop");
  doc["instances"] = 6;
  Put(doc);
  Drive(*o);
  EXPECT_EQ(OperationStore(*store_).OfWorkload("shop")->size(), 2u);
  EXPECT_EQ(adapters_.compute("sim-a").State()->Find("shop")->instances, 6);
  EXPECT_EQ(adapters_.Effects("sim-a"), 3);  // deploy, scale to 4, scale to 6
}

// A pass over settled workloads reads the status records' versions, not the
// records (ten thousand of them every few seconds was most of its work); a
// status changed by anyone is looked at again (still level triggered).
TEST_F(OrchestratorTest, ASettledPassReadsNoStatusRecordAndAChangedStatusIsReconciledAgain) {
  struct CountingReads : StoreWrapper {
    using StoreWrapper::StoreWrapper;
    int records = 0;
    Result<std::vector<std::optional<Versioned>>> GetVersionedMany(const std::vector<std::string>& k) override {
      records += static_cast<int>(k.size());
      return StoreWrapper::GetVersionedMany(k);
    }
    Result<std::optional<Versioned>> GetVersioned(std::string_view k) override {
      ++records;
      return StoreWrapper::GetVersioned(k);
    }
  } counting(*store_);
  auto o = Make(counting);
  for (const char* id : {"shop", "blog", "mail"}) Put(WorkloadDoc(id));
  Drive(*o);
  ASSERT_EQ(Status("shop").state, "running");
  ASSERT_TRUE(o->Reconcile().ok());  // settles every workload's final status
  counting.records = 0;
  ASSERT_TRUE(o->Reconcile().ok());
  EXPECT_EQ(counting.records, 0);
  EXPECT_EQ(OperationStore(*store_).OfWorkload("blog")->size(), 1u);
  // The status record changes under it (as another broker's write would):
  // only that one is read, and its placement is brought to the document again.
  WorkloadStatus blog = Status("blog");
  blog.placed_digest = "an older document";
  ASSERT_TRUE(store_->CompareAndSetAll({WorkloadStatusWrite("blog", blog)}, {}, nullptr).ok());
  ASSERT_TRUE(o->Reconcile().ok());
  EXPECT_EQ(counting.records, 1);
  EXPECT_EQ(OperationStore(*store_).OfWorkload("blog")->size(), 2u);
  EXPECT_EQ(OperationStore(*store_).OfWorkload("shop")->size(), 1u);
}

TEST_F(OrchestratorTest, FailoverTakesTheBestRemainingTargetAndRecordsEveryStep) {
  auto o = Make(*store_);
  Put(WorkloadDoc("shop"));
  Drive(*o);
  probes_.down.insert("127.0.0.11");
  auto op = o->StartFailover("shop", {"", "key-1", "manual", "operator", {}, "key:abcdefghijkl"});
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->source, "sim-a");
  // At most one operation per workload: a second request is 409 naming it;
  // the same key returns the same operation.
  auto second = o->StartFailover("shop", {"", "key-2", "manual", "", {}});
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().errors().at(0).message.find(op->id), std::string::npos);
  EXPECT_EQ(o->StartFailover("shop", {"", "key-1", "manual", "", {}})->id, op->id);
  EXPECT_EQ(Status("shop").state, "failing_over");
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  EXPECT_EQ(done.target, "sim-b");
  std::vector<std::string> names;
  for (const auto& s : done.steps) {
    names.push_back(s.name);
    EXPECT_EQ(s.state, StepState::kSucceeded);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify", "drain_source"}));
  WorkloadStatus s = Status("shop");
  EXPECT_EQ(s.placement, "sim-b");
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.drained, (std::vector<std::string>{"sim-a"}));
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.12");
  EXPECT_EQ(adapters_.compute("sim-b").State()->Find("shop")->instances, 4);
  EXPECT_EQ(adapters_.compute("sim-a").State()->Find("shop")->instances, 4);  // drained, not deleted
  // The trail: the decision with every candidate, a start and an end per step.
  std::map<std::string, int> kinds;
  json decision;
  for (const auto& e : Trail(op->id)) {
    // Every event of the operation names the key that started it.
    EXPECT_EQ(AuditEventToJson(e)["actor"], "key:abcdefghijkl") << e.kind;
    ++kinds[e.kind];
    if (e.kind == "decision") decision = e.inputs;
  }
  EXPECT_EQ(kinds["decision"], 1);
  EXPECT_EQ(kinds["step_started"], 6);
  EXPECT_EQ(kinds["step_succeeded"], 6);
  ASSERT_EQ(decision["candidates"].size(), 2u);  // sim-a is the source
  EXPECT_EQ(decision["candidates"][0]["provider"], "sim-b");
  EXPECT_EQ(decision["candidates"][0]["room"], 20);
  EXPECT_EQ(decision["candidates"][1]["provider"], "sim-c");
  // The workload document shows where it runs now; a PUT of the old
  // placement is refused.
  EXPECT_EQ(json::parse(*workloads_.Get("shop"))["placement"]["provider"], "sim-b");
  EXPECT_EQ(workloads_.Put("shop", WorkloadDoc("shop")).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(OrchestratorTest, ATargetWithoutRoomOrThatDoesNotAnswerIsPassedOver) {
  auto o = Make(*store_);
  Put(WorkloadDoc("shop"));
  Drive(*o);
  adapters_.compute("sim-b").SetCapacity(2);  // room for 2 of the 4 instances
  auto op = o->StartFailover("shop", {});
  ASSERT_TRUE(op.ok());
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  EXPECT_EQ(done.target, "sim-c");
  const json& candidates = done.steps[0].detail["candidates"];
  EXPECT_EQ(candidates[0]["provider"], "sim-b");
  EXPECT_EQ(candidates[0]["room"], 2);
  EXPECT_NE(candidates[0]["reasons"][0].get<std::string>().find("no capacity"), std::string::npos);
  EXPECT_EQ(adapters_.Effects("sim-b"), 0);  // nothing was tried there
  // Back to sim-b by hand while sim-b's service does not answer: verify
  // fails, and a requested target is not swapped for another.
  adapters_.compute("sim-b").SetCapacity(100);
  probes_.down.insert("127.0.0.12");
  auto manual = o->StartFailover("shop", {"sim-b", "", "manual", "", {}});
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  Drive(*o);
  Operation refused = Op(manual->id);
  EXPECT_EQ(refused.state, OperationState::kFailed);
  EXPECT_EQ(refused.Step("verify")->state, StepState::kFailed);
  EXPECT_EQ(Status("shop").state, "degraded");
  EXPECT_EQ(Status("shop").placement, "sim-c");
  // An automatic choice that does not verify goes on to the next target.
  probes_.down = {"127.0.0.13"};
  adapters_.compute("sim-a").SetCapacity(100);
  probes_.down.insert("127.0.0.11");
  auto again = o->StartFailover("shop", {});
  ASSERT_TRUE(again.ok());
  Drive(*o);
  Operation moved = Op(again->id);
  ASSERT_EQ(moved.state, OperationState::kSucceeded) << moved.reason;
  EXPECT_EQ(moved.target, "sim-b");  // sim-a (best) does not answer; sim-c is the source
  EXPECT_EQ(moved.Step("verify")->attempts, 2);
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.12");
}

TEST_F(OrchestratorTest, NoTargetLeavesItUnplacedWithTheReasonPerCandidate) {
  auto o = Make(*store_);
  Put(WorkloadDoc("shop"));
  Drive(*o);
  adapters_.compute("sim-b").SetCapacity(0);
  adapters_.unreachable.insert("sim-c");
  auto op = o->StartFailover("shop", {});
  ASSERT_TRUE(op.ok());
  Drive(*o, Millis(10'000));
  Operation done = Op(op->id);
  EXPECT_EQ(done.state, OperationState::kFailed);
  EXPECT_EQ(Status("shop").state, "unplaced");
  EXPECT_EQ(Status("shop").placement, "sim-a");
  AuditFilter f;
  f.kind = "unplaced";
  auto unplaced = AuditLog(*store_).Query(f)->events;
  ASSERT_EQ(unplaced.size(), 1u);
  EXPECT_EQ(unplaced[0].workload, "shop");
  const json& why = unplaced[0].inputs["candidates"];
  ASSERT_EQ(why.size(), 2u);
  EXPECT_NE(why[0]["reasons"][0].get<std::string>().find("no capacity"), std::string::npos);
  EXPECT_NE(why[1]["reasons"][0].get<std::string>().find("unavailable"), std::string::npos);
}

TEST_F(OrchestratorTest, QualityWaitsForItsBestTargetUntilItsRtoIsSpent) {
  auto o = Make(*store_);
  Put(WorkloadDoc("shop", 1, "quality", 4, "sim-c"));
  Drive(*o);
  adapters_.compute("sim-a").SetCapacity(0);
  auto op = o->StartFailover("shop", {});
  ASSERT_TRUE(op.ok());
  Drive(*o, Millis(10'000));
  EXPECT_EQ(Op(op->id).state, OperationState::kWaiting);  // sim-b has room, but sim-a ranks best
  adapters_.compute("sim-a").SetCapacity(100);
  Drive(*o, Millis(5'000));
  EXPECT_EQ(Op(op->id).target, "sim-a");
  // With no room at the best before the RTO (30 s) is spent, the best available.
  auto o2 = o->StartFailover("shop", {});
  ASSERT_TRUE(o2.ok()) << o2.status().ToString();
  adapters_.compute("sim-b").SetCapacity(0);
  Drive(*o, Millis(60'000));
  Operation late = Op(o2->id);
  EXPECT_EQ(late.state, OperationState::kSucceeded);
  EXPECT_EQ(late.target, "sim-c");
  EXPECT_TRUE(late.Step("choose_target")->detail.value("rto_spent", false));
}

// What a killed-at-every-write run of an automatic failover of "shop" (on
// sim-a, whose service is down with every address in `down`) leaves behind.
struct KilledRun {
  Operation op;
  FakeAdapters& adapters;
  int dns_replaces;  // by the failover
  Store& store;
};

// Kills the broker running the failover after 0, 1, 2, ... writes until one
// lives through it (every write point is a kill point); a third broker
// finishes each, and `check` looks at what it left. Returns the writes.
int KillAtEveryWrite(const PolicyRegistry& policies, const std::set<std::string>& down, const std::function<void(const KilledRun&)>& check) {
  for (int dies_after = 0;; ++dies_after) {
    SCOPED_TRACE("killed after " + std::to_string(dies_after) + " writes");
    ManualClock clock(*ParseRfc3339("2026-12-01T00:00:00Z"));
    auto base = NewMemoryStore(&clock);
    Catalog catalog(*base, *SchemaSet::LoadEmbedded());
    AddLabCatalog(catalog);
    WorkloadCatalog workloads(catalog, *base, clock);
    FakeAdapters adapters;
    FakeProbes probes;
    auto deps = [&](Store& s) { return WorkloadKindDeps{s, catalog, adapters, probes, policies, nullptr, clock, Millis(1000)}; };
    EXPECT_TRUE(workloads.Put("shop", WorkloadDoc("shop")).ok());
    std::string op_id;
    {
      Orchestrator first(deps(*base), {"broker-0", Millis(3000), Millis(5000)});
      EXPECT_TRUE(first.Reconcile().ok());
      first.runner().Tick();
      probes.down = down;
      auto op = first.StartFailover("shop", {"", "k", "automatic", "", {}});
      EXPECT_TRUE(op.ok());
      if (!op.ok()) return dies_after;
      op_id = op->id;
    }
    const int dns_before = adapters.dns_replaces;
    bool finished_first;
    {
      // Takes over from broker-0 once its lease has run out, and dies.
      clock.Advance(Millis(3001));
      DyingStore dying(*base, dies_after);
      Orchestrator second(deps(dying), {"broker-1", Millis(3000), Millis(5000)});
      second.runner().Tick();
      finished_first = !dying.dead();
    }
    clock.Advance(Millis(3001));
    Orchestrator third(deps(*base), {"broker-2", Millis(3000), Millis(5000)});
    for (int i = 0; i < 5; ++i) {
      third.runner().Tick();
      clock.Advance(Millis(1000));
    }
    check({OperationStore(*base).Get(op_id)->value(), adapters, adapters.dns_replaces - dns_before, *base});
    if (finished_first) return dies_after;
  }
}

TEST_F(OrchestratorTest, ABrokerKilledAtAnyWriteIsFinishedByTheNextWithEachEffectOnce) {
  const int writes = KillAtEveryWrite(policies_, {"127.0.0.11"}, [](const KilledRun& r) {
    const Operation& op = r.op;
    EXPECT_EQ(op.state, OperationState::kSucceeded) << op.reason;
    EXPECT_EQ(op.target, "sim-b");
    EXPECT_EQ(r.adapters.Effects("sim-b"), 2);  // deployed once, scaled once
    EXPECT_EQ(r.dns_replaces, 1);  // DNS switched once
    EXPECT_EQ(r.adapters.ARecord("shop.lab.example."), "127.0.0.12");
    EXPECT_EQ(GetWorkloadStatus(r.store, "shop")->value().placement, "sim-b");
    EXPECT_EQ(OperationStore(r.store).OfWorkload("shop")->size(), 2u);  // place + this failover
    AuditFilter f;
    f.operation = op.id;
    std::map<std::string, int> kinds;
    const auto trail = AuditLog(r.store).Query(f);
    ASSERT_TRUE(trail.ok());
    for (const auto& e : trail->events) ++kinds[e.kind];
    EXPECT_EQ(kinds["step_succeeded"], 6);
  });
  EXPECT_GE(writes, 12);  // every write point of the failover was a kill point
}

TEST_F(OrchestratorTest, ATargetPassedOverAfterItsCapacityWasBorrowedGetsItBackOnceWhereverTheBrokerDies) {
  // sim-a is down, and sim-b, the best target, takes the instances but its
  // service does not answer: the failover goes on to sim-c, and sim-b is
  // scaled back to what it ran before (none), once, at every kill point.
  const int writes = KillAtEveryWrite(policies_, {"127.0.0.11", "127.0.0.12"}, [](const KilledRun& r) {
    const Operation& op = r.op;
    ASSERT_EQ(op.state, OperationState::kSucceeded) << op.reason;
    EXPECT_EQ(op.target, "sim-c");
    std::map<std::string, int> at_b;
    int b_instances = -1;
    for (const auto& c : r.adapters.compute("sim-b").Calls())
      if (c.service == "shop" && c.effect) {
        ++at_b[c.call];
        b_instances = c.instances;
      }
    EXPECT_EQ(at_b["deploy"], 1);
    EXPECT_EQ(at_b["scale"], 2);  // up to 4, back to 0
    EXPECT_EQ(b_instances, 0);
    EXPECT_EQ(r.adapters.Effects("sim-c"), 2);
    const json& given = op.Step("choose_target")->detail["given_back"];
    ASSERT_EQ(given.size(), 1u) << op.Step("choose_target")->detail.dump();
    EXPECT_EQ(given[0]["provider"], "sim-b");
    EXPECT_EQ(given[0]["to"], 0);
    EXPECT_FALSE(given[0].contains("error")) << given.dump();
  });
  EXPECT_GE(writes, 12);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

class FailoverApiTest : public testing::ApiOn<OrchestratorTest> {};

TEST_F(FailoverApiTest, StartsOnceFencesOthersCancelsAndListsTheTrail) {
  ASSERT_EQ(Call("PUT", "/v1/workloads/shop", WorkloadDoc("shop").dump()).status, 201);
  Drive(*orchestrator_);
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body)["state"], "running");
  // Refusals change nothing.
  EXPECT_EQ(Call("POST", "/v1/workloads/nope/failover").status, 404);
  auto bad_to = Call("POST", "/v1/workloads/shop/failover", R"({"to": "lab-dns"})");
  EXPECT_EQ(bad_to.status, 400);
  EXPECT_EQ(Pointer(bad_to), "/to");
  EXPECT_EQ(Call("POST", "/v1/workloads/shop/failover", R"({"to": "sim-a"})").status, 400);  // runs there
  EXPECT_EQ(Call("POST", "/v1/workloads/shop/failover", R"({"to": "elsewhere"})").status, 404);
  EXPECT_EQ(Call("POST", "/v1/workloads/shop/failover", R"({"to": "Sim B"})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/workloads/shop/failover", "", {{"idempotency-key", std::string(300, 'k')}}).status, 400);
  EXPECT_TRUE(OperationStore(*store_).OfWorkload("shop")->size() == 1u);  // the place only
  // Started: 202 with the operation; the same key returns it; another is 409.
  auto started = Call("POST", "/v1/workloads/shop/failover", R"({"reason": "drill"})", {{"idempotency-key", "abc"}});
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string id = json::parse(started.body)["operation"]["id"];
  EXPECT_EQ(json::parse(Call("POST", "/v1/workloads/shop/failover", "", {{"idempotency-key", "abc"}}).body)["operation"]["id"], id);
  auto busy = Call("POST", "/v1/workloads/shop/failover");
  EXPECT_EQ(busy.status, 409);
  EXPECT_NE(busy.body.find(id), std::string::npos);
  EXPECT_EQ(Call("DELETE", "/v1/workloads/shop").status, 409);
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body)["operation"], id);
  // Cancelled before it ran: it ends cancelled, and the workload is free again.
  auto cancelled = Call("POST", "/v1/operations/" + id + "/cancel");
  ASSERT_EQ(cancelled.status, 202) << cancelled.body;
  EXPECT_TRUE(json::parse(cancelled.body)["operation"]["cancel_requested"].get<bool>());
  Drive(*orchestrator_);
  EXPECT_EQ(json::parse(Call("GET", "/v1/operations/" + id).body)["state"], "cancelled");
  EXPECT_EQ(Call("POST", "/v1/operations/" + id + "/cancel").status, 409);
  EXPECT_EQ(Call("POST", "/v1/operations/nope/cancel").status, 404);
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body)["state"], "running");
  // Moved for real; the trail filters by operation, kind and time.
  auto moved = Call("POST", "/v1/workloads/shop/failover");
  ASSERT_EQ(moved.status, 202);
  const std::string id2 = json::parse(moved.body)["operation"]["id"];
  Drive(*orchestrator_);
  auto trail = json::parse(Call("GET", "/v1/events?operation=" + id2).body);
  EXPECT_EQ(trail["events"].size(), 13u);  // decision + 6 starts + 6 ends
  EXPECT_TRUE(trail["next"].is_null());
  auto decisions = json::parse(Call("GET", "/v1/events?kind=decision&workload=shop").body);
  ASSERT_EQ(decisions["events"].size(), 1u);
  EXPECT_EQ(decisions["events"][0]["provider"], "sim-b");
  // A page at a time, by cursor: the same 13 in the same order.
  json paged = json::array();
  std::string after;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = json::parse(Call("GET", "/v1/events?operation=" + id2 + "&limit=2" + (after.empty() ? "" : "&after=" + after)).body);
    EXPECT_LE(page["events"].size(), 2u);
    for (const auto& e : page["events"]) paged.push_back(e);
    if (page["next"].is_null()) break;
    after = page["next"];
  }
  EXPECT_EQ(paged, trail["events"]);
  EXPECT_EQ(json::parse(Call("GET", "/v1/events?from=2030-01-01T00:00:00Z").body)["events"].size(), 0u);
  for (const char* bad : {"/v1/events?kind=nope", "/v1/events?limit=0", "/v1/events?limit=1001", "/v1/events?limit=x", "/v1/events?from=yesterday",
                          "/v1/events?after=", "/v1/events?after=-1", "/v1/events?after=1234567890123456789", "/v1/events?after=%C3%A9"})
    EXPECT_EQ(Call("GET", bad).status, 400) << bad;
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body)["placement"]["provider"], "sim-b");
  // Operations page by cursor in id order, also filtered: place, the cancelled failover, the one that ran.
  const json ops = json::parse(Call("GET", "/v1/operations").body);
  ASSERT_EQ(ops["operations"].size(), 3u);
  EXPECT_TRUE(ops["next"].is_null());
  json paged_ops = json::array();
  after.clear();
  for (int pages = 0; pages < 10; ++pages) {
    const json page = json::parse(Call("GET", "/v1/operations?limit=1" + (after.empty() ? "" : "&after=" + after)).body);
    for (const auto& op : page["operations"]) paged_ops.push_back(op);
    if (page["next"].is_null()) break;
    after = page["next"];
  }
  EXPECT_EQ(paged_ops, ops["operations"]);
  // Filtered, a page may end short of its limit with a next; the pages together hold every match once.
  std::vector<std::string> failovers;
  after.clear();
  for (int pages = 0; pages < 10; ++pages) {
    const json page = json::parse(Call("GET", "/v1/operations?kind=failover&limit=1" + (after.empty() ? "" : "&after=" + after)).body);
    EXPECT_LE(page["operations"].size(), 1u);
    for (const auto& op : page["operations"]) {
      EXPECT_EQ(op["kind"], "failover");
      failovers.push_back(op["id"]);
    }
    if (page["next"].is_null()) break;
    after = page["next"];
  }
  EXPECT_EQ(failovers, (std::vector<std::string>{std::min(id, id2), std::max(id, id2)}));
  const json succeeded = json::parse(Call("GET", "/v1/operations?state=succeeded&workload=shop").body);
  EXPECT_EQ(succeeded["operations"].size(), 2u);  // place and the failover that ran
  for (const char* bad : {"/v1/operations?limit=0", "/v1/operations?after=", "/v1/operations?state=done"})
    EXPECT_EQ(Call("GET", bad).status, 400) << bad;
}

}  // namespace
}  // namespace icb
