// The operation runner on the memory fakes and a manual clock: every step
// recorded before and after, and a runner that dies at any write (a store
// wrapper that refuses everything after the Nth write, as a killed process
// writes nothing more) is replaced by a new one that finishes the operation
// with each provider effect exactly once.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/runner.h"
#include "tests/support/eventually.h"
#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

// A runner holding the lease as `holder`, advancing operations on the calling thread.
RunnerOptions Options(std::string holder, int workers = 0) {
  RunnerOptions o;
  o.holder = std::move(holder);
  o.lease_ttl = Millis(3000);
  o.workers = workers;
  return o;
}

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
  OperationRunner runner(*store, kinds, clock, Options("broker-1"));
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

// A pass reads the waiting operations a batch at a time: one whose record
// no longer parses (a hand edit, a bad write) is left where it is and the
// others in its batch still run.
TEST(OperationRunner, ARecordThatDoesNotParseHoldsBackOnlyItself) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  FakeWorld world;
  auto kinds = Kinds(world);
  OperationRunner runner(*store, kinds, clock, Options("broker-1"));
  ASSERT_TRUE(runner.Create("op-1", "failover", "shop").ok());
  ASSERT_TRUE(runner.Create("op-2", "failover", "shop").ok());
  ASSERT_TRUE(runner.Create("op-3", "failover", "shop").ok());
  auto garbled = store->GetVersioned("icb:operation:op-2");
  ASSERT_TRUE(garbled.ok() && garbled->has_value());
  ASSERT_TRUE(store->CompareAndSet({"icb:operation:op-2", (*garbled)->version, "{not json", {}, {}}).ok());
  runner.Tick();
  EXPECT_EQ(runner.operations().Get("op-1")->value().state, OperationState::kSucceeded);
  EXPECT_EQ(runner.operations().Get("op-3")->value().state, OperationState::kSucceeded);
  EXPECT_FALSE(runner.operations().Get("op-2").ok());
  EXPECT_EQ(*runner.operations().Unfinished(), std::vector<std::string>{"op-2"});
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
      OperationRunner creator(*base, kinds, clock, Options("creator"));
      ASSERT_TRUE(creator.Create("op-1", "failover", "shop").ok());
    }
    {
      DyingStore dying(*base, dies_after);
      OperationRunner first(dying, kinds, clock, Options("broker-1"));
      first.Tick();
    }
    // The dead broker's lease runs out; a new broker takes over and resumes.
    clock.Advance(Millis(3001));
    OperationRunner second(*base, kinds, clock, Options("broker-2"));
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
  OperationRunner runner(*store, kinds, clock, Options("broker-1"));
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
  OperationRunner runner(*store, kinds, clock, Options("broker-1"));
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
  OperationRunner a(*store, kinds, clock, Options("broker-a"));
  OperationRunner b(*store, kinds, clock, Options("broker-b"));
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

// A replica that led keeps nothing for an operation another one finished:
// its wait and priority go at its next pass as leader.
TEST(OperationRunner, AnOperationFinishedByAnotherLeaderIsForgotten) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  bool room = false;
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("recovery", {{"choose_target"}, [&](const std::string&, const Operation&) {
    return room ? StepOutcome::Done() : StepOutcome::Wait("no target has room", Millis(60000));
  }, {}}).ok());
  RunnerOptions with_priority = Options("broker-a");
  with_priority.priority = [](const Operation&) { return 2; };
  OperationRunner a(*store, kinds, clock, with_priority);
  OperationRunner b(*store, kinds, clock, Options("broker-b"));
  ASSERT_TRUE(a.Create("rec-1", "recovery", "").ok());
  a.Tick();
  EXPECT_EQ(runner_state(a), OperationState::kWaiting);
  EXPECT_EQ(a.OperationsRemembered(), 1u);
  clock.Advance(Millis(4000));  // a's lease lapses (a paused); b takes over and finishes it
  room = true;
  b.Tick();
  ASSERT_GT(b.LeaseEpoch(), 0);
  EXPECT_EQ(runner_state(b), OperationState::kSucceeded);
  b.Stop();
  a.Tick();  // leads again: nothing left to do, nothing kept
  ASSERT_GT(a.LeaseEpoch(), 0);
  EXPECT_EQ(a.OperationsRemembered(), 0u);
}

TEST(OperationRunner, AStoppedLeaderHandsTheLeaseOverAtOnce) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  int runs = 0;
  OperationKinds kinds;
  EXPECT_TRUE(kinds.Register("recovery", {{"choose_target"}, [&](const std::string&, const Operation&) {
    ++runs;
    return StepOutcome::Done();
  }, {}}).ok());
  OperationRunner a(*store, kinds, clock, Options("broker-a"));
  OperationRunner b(*store, kinds, clock, Options("broker-b"));
  a.Tick();
  const long long a_epoch = a.LeaseEpoch();
  ASSERT_GT(a_epoch, 0);
  b.Tick();
  EXPECT_EQ(b.LeaseEpoch(), 0);  // a holds it
  a.Stop();                      // a clean stop, the lease's 3 s not over
  EXPECT_EQ(a.LeaseEpoch(), 0);
  ASSERT_TRUE(b.Create("rec-1", "recovery", "").ok());
  b.Tick();  // at once, not after the lease lapsed
  EXPECT_GT(b.LeaseEpoch(), a_epoch);
  EXPECT_EQ(runs, 1);
}

TEST(OperationRunner, CountsEndedOperationsAndEachStepAttemptOnItsClock) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  MetricRegistry registry;
  auto metrics = DeclareRunnerMetrics(registry);
  ASSERT_TRUE(metrics.ok());
  int capacity_runs = 0;
  OperationKinds kinds;
  // Capacity takes 2 s each attempt and has no room the first time; the
  // switch takes half a second.
  EXPECT_TRUE(kinds.Register("failover", {{"ensure_capacity", "switch_dns"}, [&](const std::string& step, const Operation&) {
    if (step == "ensure_capacity") {
      clock.Advance(Millis(2000));
      return capacity_runs++ == 0 ? StepOutcome::Wait("no room yet", Millis(1000)) : StepOutcome::Done();
    }
    clock.Advance(Millis(500));
    return StepOutcome::Done();
  }, {}}).ok());
  RunnerOptions options = Options("broker-1");
  options.metrics = *metrics;
  std::vector<std::string> lines;
  const Logger log(LogFormat::kText, [&lines](std::string_view line) { lines.emplace_back(line); });
  options.log = &log;
  OperationRunner runner(*store, kinds, clock, options);
  EXPECT_EQ(runner.LeaseEpoch(), 0);  // no pass yet
  ASSERT_TRUE(runner.Create("op-1", "failover", "shop").ok());
  runner.Tick();
  EXPECT_GE(runner.LeaseEpoch(), 1);
  clock.Advance(Millis(1000));
  runner.Tick();
  ASSERT_EQ(runner.operations().Get("op-1")->value().state, OperationState::kSucceeded);

  EXPECT_EQ(metrics->ended->With({"failover", "succeeded"}).value(), 1);
  const Histogram& whole = metrics->operation_seconds->With({"failover", "succeeded"});
  EXPECT_EQ(whole.Cumulative().back(), 1u);
  EXPECT_DOUBLE_EQ(whole.sum(), 2 + 1 + 2 + 0.5);  // waited, the wait, room, the switch
  auto step = [&](const char* name, const char* outcome) -> const Histogram& { return metrics->step_seconds->With({"failover", name, outcome}); };
  EXPECT_EQ(step("ensure_capacity", "waited").Cumulative().back(), 1u);
  EXPECT_DOUBLE_EQ(step("ensure_capacity", "waited").sum(), 2);
  EXPECT_EQ(step("ensure_capacity", "succeeded").Cumulative().back(), 1u);
  EXPECT_DOUBLE_EQ(step("ensure_capacity", "succeeded").sum(), 2);
  EXPECT_DOUBLE_EQ(step("switch_dns", "succeeded").sum(), 0.5);
  EXPECT_EQ(step("switch_dns", "failed").Cumulative().back(), 0u);
  EXPECT_EQ(registry.Render().find("shop"), std::string::npos);  // no workload in any label
  // A line per step started and ended, and the operation's end, each naming it.
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "icbroker: step started (operation=op-1, kind=failover, step=ensure_capacity, attempt=1)",
                       "icbroker: step waited (operation=op-1, kind=failover, step=ensure_capacity, outcome=waited, seconds=2, reason=no room yet)",
                       "icbroker: step started (operation=op-1, kind=failover, step=ensure_capacity, attempt=2)",
                       "icbroker: step succeeded (operation=op-1, kind=failover, step=ensure_capacity, outcome=succeeded, seconds=2)",
                       "icbroker: step started (operation=op-1, kind=failover, step=switch_dns, attempt=1)",
                       "icbroker: step succeeded (operation=op-1, kind=failover, step=switch_dns, outcome=succeeded, seconds=0.5)",
                       "icbroker: operation succeeded (operation=op-1, kind=failover, state=succeeded, seconds=5.5)",
                   }));
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// A kind whose one step waits until the test lets it go (a provider call
// that hangs), recording the order operations started in.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> released;
  std::vector<std::string> started;
  void Release(const std::string& id) {
    std::lock_guard lock(mu);
    released.insert(id);
    cv.notify_all();
  }
  std::vector<std::string> Started() {
    std::lock_guard lock(mu);
    return started;
  }
  OperationKinds Kinds() {
    OperationKinds kinds;
    EXPECT_TRUE(kinds.Register("call", {{"call"}, [this](const std::string&, const Operation& op) {
      std::unique_lock lock(mu);
      started.push_back(op.id);
      // Bounded: a test that fails must still end.
      cv.wait_for(lock, std::chrono::seconds(30), [&] { return released.count(op.id) || released.count("*"); });
      return StepOutcome::Done();
    }, {}}).ok());
    return kinds;
  }
};

OperationState StateOf(OperationRunner& r, const std::string& id) { return r.operations().Get(id)->value().state; }

TEST(OperationRunnerSideBySide, AHangingStepHoldsOnlyItsOwnOperation) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  Gate gate;
  auto kinds = gate.Kinds();
  OperationRunner runner(*store, kinds, clock, Options("broker-1", 4));
  for (const char* id : {"hangs", "b", "c", "d"}) ASSERT_TRUE(runner.Create(id, "call", id).ok());
  runner.Tick();
  for (const char* id : {"b", "c", "d"}) gate.Release(id);
  ASSERT_TRUE(testing::Eventually([&] {
    return StateOf(runner, "b") == OperationState::kSucceeded && StateOf(runner, "c") == OperationState::kSucceeded &&
           StateOf(runner, "d") == OperationState::kSucceeded;
  }));
  EXPECT_EQ(StateOf(runner, "hangs"), OperationState::kRunning);
  EXPECT_EQ(runner.InFlight(), 1u);
  // A tick while it hangs does not start it a second time.
  runner.Tick();
  gate.Release("hangs");
  ASSERT_TRUE(testing::Eventually([&] { return StateOf(runner, "hangs") == OperationState::kSucceeded; }));
  EXPECT_EQ(runner.operations().Get("hangs")->value().steps[0].attempts, 1);
  EXPECT_EQ(gate.Started().size(), 4u);
}

TEST(OperationRunnerSideBySide, MostUrgentFirstThenOldestAtTheQueue) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  Gate gate;
  auto kinds = gate.Kinds();
  // The workload's name says its priority here.
  RunnerOptions options = Options("broker-1", 1);
  options.priority = [](const Operation& op) { return op.workload[1] - '0'; };
  OperationRunner runner(*store, kinds, clock, options);
  // One worker, held by the first; the rest queue.
  ASSERT_TRUE(runner.Create("first", "call", "p1").ok());
  runner.Tick();
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 1; }));
  for (const auto& [id, workload] : std::vector<std::pair<std::string, std::string>>{{"c3-old", "p3"}, {"b2", "p2"}, {"c3-new", "p3"}}) {
    clock.Advance(Millis(1));  // created in this order
    ASSERT_TRUE(runner.Create(id, "call", workload).ok());
  }
  runner.Tick();
  // Came later, queued ahead of what was queued before it.
  clock.Advance(Millis(1));
  ASSERT_TRUE(runner.Create("a1", "call", "p1").ok());
  runner.Tick();
  gate.Release("*");
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 5; }));
  EXPECT_EQ(gate.Started(), (std::vector<std::string>{"first", "a1", "b2", "c3-old", "c3-new"}));
}

TEST(OperationRunnerSideBySide, ATenantHoldsItsShareOfWorkersAndOutageWorkKeepsItsOwn) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  Gate gate;
  auto kinds = gate.Kinds();
  // Four workers: one kept for outage work, at most two per tenant. A
  // workload's first letter names its tenant; "x" is outage recovery.
  RunnerOptions options = Options("broker-1", 4);
  options.share = [](const Operation& op) -> std::optional<std::string> {
    if (op.workload[0] == 'x') return std::nullopt;
    return op.workload.substr(0, 1);
  };
  options.reserved_workers = 1;
  options.workers_per_share = 2;
  OperationRunner runner(*store, kinds, clock, options);
  for (const char* id : {"a1", "a2", "a3", "a4", "a5", "b1", "b2"}) ASSERT_TRUE(runner.Create(id, "call", id).ok());
  runner.Tick();
  // Tenant a at its two; b takes the third: the shared workers are all held.
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 3; }));
  EXPECT_EQ(runner.InFlight(), 3u);
  auto started = gate.Started();
  EXPECT_EQ(std::set<std::string>(started.begin(), started.end()), (std::set<std::string>{"a1", "a2", "b1"}));
  // An outage's recovery comes while they hang: the kept worker takes it.
  ASSERT_TRUE(runner.Create("x1", "call", "x1").ok());
  runner.Tick();
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 4; }));
  EXPECT_EQ(gate.Started().back(), "x1");
  gate.Release("x1");
  ASSERT_TRUE(testing::Eventually([&] { return StateOf(runner, "x1") == OperationState::kSucceeded; }));
  // One of a's ends: the shared worker it frees goes to the first in line
  // whose share has room (a3, a being back at one; b2 then finds them full).
  gate.Release("a1");
  ASSERT_TRUE(testing::Eventually([&] { return StateOf(runner, "a1") == OperationState::kSucceeded && runner.InFlight() == 2u; }));
  runner.Tick();
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 5; }));
  EXPECT_EQ(gate.Started().back(), "a3");
  // Everything ends in the end, each once.
  gate.Release("*");
  ASSERT_TRUE(testing::Eventually([&] {
    runner.Tick();
    for (const char* id : {"a1", "a2", "a3", "a4", "a5", "b1", "b2", "x1"})
      if (StateOf(runner, id) != OperationState::kSucceeded) return false;
    return true;
  }));
  EXPECT_EQ(gate.Started().size(), 8u);
}

TEST(OperationRunnerSideBySide, StopLetsRunningStepsEndAndTheRestResumeFromTheirRecords) {
  ManualClock clock(kRunnerT0);
  auto store = NewMemoryStore(&clock);
  Gate gate;
  auto kinds = gate.Kinds();
  auto runner = std::make_unique<OperationRunner>(*store, kinds, clock, Options("broker-1", 1));
  for (const char* id : {"a", "b"}) ASSERT_TRUE(runner->Create(id, "call", id).ok());
  runner->Tick();
  ASSERT_TRUE(testing::Eventually([&] { return gate.Started().size() == 1; }));
  std::thread stopper([&] { runner->Stop(); });
  gate.Release("a");
  stopper.join();
  // The running step ended and was recorded; the queued one was dropped
  // (or, had the worker taken it before the stop, ran whole): never half.
  EXPECT_EQ(StateOf(*runner, "a"), OperationState::kSucceeded);
  const size_t started = gate.Started().size();
  EXPECT_TRUE(StateOf(*runner, "b") == (started == 1 ? OperationState::kPending : OperationState::kSucceeded)) << started;
  runner->Tick();  // stopped: nothing starts
  EXPECT_EQ(gate.Started().size(), started);
  gate.Release("b");
  runner->Start();
  runner->Tick();
  ASSERT_TRUE(testing::Eventually([&] { return StateOf(*runner, "b") == OperationState::kSucceeded; }));
  EXPECT_EQ(runner->operations().Get("b")->value().steps[0].attempts, 1);
}

}  // namespace
}  // namespace icb
