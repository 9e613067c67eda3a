// The operation runner on the memory fakes and a manual clock: every step
// recorded before and after, and a runner that dies at any write (a store
// wrapper that refuses everything after the Nth write, as a killed process
// writes nothing more) is replaced by a new one that finishes the operation
// with each provider effect exactly once.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/runner.h"
#include "tests/support/fakes/store_wrapper.h"

namespace icb {
namespace {

using testing::DyingStore;

const TimePoint kRunnerT0 = *ParseRfc3339("2026-12-01T00:00:00Z");

// A provider whose calls are idempotent (deploy by name, scale to a number,
// DNS replace): calls may repeat, effects (state changes) must not.
struct FakeWorld {
  std::set<std::string> deployed;
  std::map<std::string, int> scale;
  std::map<std::string, std::string> dns;
  int calls = 0, effects = 0;
  void Deploy(const std::string& s) { ++calls; effects += deployed.insert(s).second; }
  void Scale(const std::string& s, int n) { ++calls; if (scale[s] != n) { scale[s] = n; ++effects; } }
  void Replace(const std::string& name, const std::string& addr) { ++calls; if (dns[name] != addr) { dns[name] = addr; ++effects; } }
};

OperationKinds Kinds(FakeWorld& world) {
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("failover", {{"ensure_capacity", "switch_dns", "verify"}, [&world](const std::string& step, const Operation& op) {
    if (step == "ensure_capacity") {
      world.Deploy("shop");
      world.Scale("shop", 3);
      return StepOutcome::Done({{"instances", 3}});
    }
    if (step == "switch_dns") {
      world.Replace("shop.lab.", "127.0.0.12");
      return StepOutcome::Done({{"address", "127.0.0.12"}});
    }
    // verify reads what the earlier steps recorded.
    return op.steps[1].detail.value("address", "") == "127.0.0.12" ? StepOutcome::Done() : StepOutcome::Fail("wrong address");
  }, {}}).ok());
  return kinds;
}

OperationState runner_state(OperationRunner& r) { return r.operations().Get("rec-1")->value().state; }

TEST(OperationRunner, RecordsEachStepBeforeAndAfterAndSucceeds) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  FakeWorld world;
  auto kinds = Kinds(world);
  OperationRunner runner(*store, kinds, clock, {"broker-1", Millis(3000), "orchestrator"});
  ASSERT_TRUE(runner.Create("op-1", "failover", "shop").ok());
  EXPECT_EQ(runner.Create("op-2", "unknown-kind", "shop").status().code(), StatusCode::kInvalidArgument);
  runner.Tick();
  Operation op = **runner.operations().Get("op-1");
  EXPECT_EQ(op.state, OperationState::kSucceeded);
  for (const auto& s : op.steps) {
    EXPECT_EQ(s.state, StepState::kSucceeded) << s.name;
    EXPECT_EQ(s.attempts, 1);
    EXPECT_TRUE(s.started_at && s.ended_at);
  }
  // Created, then per step a before and an after record, then the end: 1 + 3 * 2 + 1.
  EXPECT_EQ(op.version, 8);
  EXPECT_EQ(world.effects, 3);
  EXPECT_TRUE(runner.operations().Unfinished()->empty());
}

TEST(OperationRunner, ARunnerKilledAtAnyWriteIsFinishedByTheNextWithEachEffectOnce) {
  // 7 writes after creation; die before each of them in turn.
  for (int dies_after = 0; dies_after <= 7; ++dies_after) {
    SCOPED_TRACE("killed after " + std::to_string(dies_after) + " writes");
    ManualClock clock(kRunnerT0);
    auto base = NewMemoryStore(&clock);
    FakeWorld world;
    auto kinds = Kinds(world);
    {
      OperationRunner creator(*base, kinds, clock, {"creator", Millis(3000), "orchestrator"});
      ASSERT_TRUE(creator.Create("op-1", "failover", "shop").ok());
    }
    {
      DyingStore dying(*base, dies_after);
      OperationRunner first(dying, kinds, clock, {"broker-1", Millis(3000), "orchestrator"});
      first.Tick();
    }
    // The dead broker's lease runs out; a new broker takes over and resumes.
    clock.Advance(Millis(3001));
    OperationRunner second(*base, kinds, clock, {"broker-2", Millis(3000), "orchestrator"});
    second.Tick();
    Operation op = **second.operations().Get("op-1");
    EXPECT_EQ(op.state, OperationState::kSucceeded);
    EXPECT_EQ(world.effects, 3);  // deployed once, scaled once, DNS switched once
    EXPECT_EQ(world.deployed.size(), 1u);
    EXPECT_EQ(world.dns["shop.lab."], "127.0.0.12");
    int attempts = 0;
    for (const auto& s : op.steps) attempts += s.attempts;
    EXPECT_GE(attempts, 3);
    EXPECT_LE(attempts, 4);  // at most the step that was running when it died runs again
    // The trail: each step succeeded once; a start per attempt, none twice.
    AuditLog audit(*base);
    AuditFilter of_op;
    of_op.operation = "op-1";
    auto trail = audit.Query(of_op);
    ASSERT_TRUE(trail.ok());
    std::map<std::string, int> kinds_seen;
    std::set<std::string> ids;
    for (const auto& e : trail->events) {
      ++kinds_seen[e.kind];
      EXPECT_TRUE(ids.insert(e.id).second) << e.id;
    }
    EXPECT_EQ(kinds_seen["step_succeeded"], 3);
    EXPECT_EQ(kinds_seen["step_started"], attempts);
  }
}

TEST(OperationRunner, RetryGoesBackAStepAndFinishWritesGoWithTheLastRecord) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  std::vector<std::string> candidates = {"sim-b", "sim-c"};
  size_t tried = 0;
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("failover", {{"choose_target", "verify"},
                              [&](const std::string& step, const Operation& op) {
                                if (step == "choose_target") {
                                  StepOutcome out = StepOutcome::Done({{"target", candidates.at(tried)}});
                                  out.target = candidates.at(tried);
                                  return out;
                                }
                                // The first target does not verify: back to choose_target with the next.
                                if (op.target == "sim-b") {
                                  ++tried;
                                  return StepOutcome::Retry("sim-b does not answer", "choose_target");
                                }
                                return StepOutcome::Done();
                              },
                              [&](const Operation& op) -> Result<Along> {
                                auto status = store->GetVersioned("status:shop");
                                CasWrite w{"status:shop", status->has_value() ? (*status)->version : 0, "placed on " + op.target, {}, {}};
                                return Along{{w}, {}};
                              }}).ok());
  OperationRunner runner(*store, kinds, clock, {"broker-1", Millis(3000), "orchestrator"});
  ASSERT_TRUE(runner.Create("op-1", "failover", "shop").ok());
  runner.Tick();
  Operation op = **runner.operations().Get("op-1");
  EXPECT_EQ(op.state, OperationState::kSucceeded);
  EXPECT_EQ(op.target, "sim-c");
  EXPECT_EQ(op.steps[0].attempts, 2);
  EXPECT_EQ(op.steps[1].attempts, 2);
  EXPECT_EQ(store->GetVersioned("status:shop")->value().value, "placed on sim-c");
  AuditFilter failures;
  failures.kind = "step_failed";
  auto failed = AuditLog(*store).Query(failures);
  ASSERT_EQ(failed->events.size(), 1u);
  EXPECT_EQ(failed->events[0].provider, "sim-b");
}

TEST(OperationRunner, CancelIsHonouredBetweenStepsAndAWaitingOperationAtOnce) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  int runs = 0;
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("recovery", {{"choose_target", "switch_dns"},
                              [&](const std::string&, const Operation&) {
                                ++runs;
                                return StepOutcome::Wait("no room", Millis(60'000));
                              },
                              {}}).ok());
  OperationRunner runner(*store, kinds, clock, {"broker-1", Millis(3000), "orchestrator"});
  ASSERT_TRUE(runner.Create("op-1", "recovery", "").ok());
  runner.Tick();
  EXPECT_EQ(runs, 1);
  Operation op = **runner.operations().Get("op-1");
  op.cancel_requested = true;
  ASSERT_TRUE(runner.operations().Update(op, nullptr).ok());
  runner.Tick();  // waiting for a minute, but cancelled now
  op = **runner.operations().Get("op-1");
  EXPECT_EQ(op.state, OperationState::kCancelled);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(runner.operations().Unfinished()->empty());
}

TEST(OperationRunner, OnlyTheLeaseHolderRunsAndAWaitIsRetriedWhenDue) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  int runs = 0;
  bool room = false;
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("recovery", {{"choose_target"}, [&](const std::string&, const Operation&) {
    ++runs;
    return room ? StepOutcome::Done() : StepOutcome::Wait("no target has room", Millis(5000));
  }, {}}).ok());
  OperationRunner a(*store, kinds, clock, {"broker-a", Millis(3000), "orchestrator"});
  OperationRunner b(*store, kinds, clock, {"broker-b", Millis(3000), "orchestrator"});
  ASSERT_TRUE(a.Create("rec-1", "recovery", "").ok());
  auto next = a.Tick();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(runner_state(a), OperationState::kWaiting);
  b.Tick();  // a holds the lease: b does nothing
  EXPECT_EQ(runs, 1);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, clock.Monotonic() + Millis(1000));  // lease renewal comes before the 5 s wait
  clock.Advance(Millis(1000));
  a.Tick();
  EXPECT_EQ(runs, 1);  // not due yet
  clock.Advance(Millis(4000));
  room = true;
  a.Tick();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(runner_state(a), OperationState::kSucceeded);
}

}  // namespace
}  // namespace icb
