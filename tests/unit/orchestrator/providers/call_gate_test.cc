// Each provider's control-plane calls through a gate: no more in flight
// than the limit, and a freed slot goes to the most urgent waiting call,
// then the one waiting longest.
#include "broker/orchestrator/providers/call_gate.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "broker/core/call_priority.h"
#include "tests/support/eventually.h"
#include "tests/support/fakes/memory_adapters.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

TEST(CallGates, AFreedSlotGoesToTheMostUrgentThenTheLongestWaiting) {
  CallGates gates(1);
  std::mutex mu;
  std::vector<std::string> order;
  std::vector<std::thread> callers;
  {
    auto held = gates.Enter("sim-b");
    int waiting = 0;
    for (const auto& [name, priority] : std::vector<std::pair<std::string, int>>{{"p3-first", 3}, {"p1", 1}, {"p3-second", 3}, {"p2", 2}}) {
      callers.emplace_back([&, name = name, priority = priority] {
        CallPriority urgency(priority);
        auto slot = gates.Enter("sim-b");
        std::lock_guard lock(mu);
        order.push_back(name);
      });
      ++waiting;
      // Arrived (in this order) before the next one starts.
      if (!testing::Eventually([&] { return gates.Waiting("sim-b") == waiting; })) {
        ADD_FAILURE() << name << " never waited";
        break;
      }
    }
    // Another provider's gate is its own.
    auto other = gates.Enter("sim-c");
    EXPECT_EQ(gates.InFlight("sim-c"), 1);
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(order, (std::vector<std::string>{"p1", "p2", "p3-first", "p3-second"}));
  EXPECT_EQ(gates.MostInFlight("sim-b"), 1);
  EXPECT_EQ(gates.InFlight("sim-b"), 0);
}

TEST(CallGates, ASlotIsKeptForOutageRecoveryWhateverElseHangs) {
  CallGates gates(4);  // one of four kept
  std::vector<CallGates::Slot> held;
  for (int i = 0; i < 3; ++i) {
    CallPriority requested(CallPriority::kRequested + 1);
    held.push_back(gates.Enter("sim-b"));
  }
  // A fourth asked-for call waits though a slot is free...
  std::atomic<bool> fourth_in{false};
  std::thread fourth([&] {
    CallPriority requested(CallPriority::kRequested + 1);
    auto slot = gates.Enter("sim-b");
    fourth_in = true;
  });
  ASSERT_TRUE(testing::Eventually([&] { return gates.Waiting("sim-b") == 1; }));
  EXPECT_EQ(gates.InFlight("sim-b"), 3);
  // ...which an outage's call, of any priority, takes at once.
  {
    CallPriority outage(1000);
    auto slot = gates.Enter("sim-b");
    EXPECT_EQ(gates.InFlight("sim-b"), 4);
  }
  EXPECT_FALSE(fourth_in);
  held.pop_back();  // one of the three ends: the fourth goes in
  fourth.join();
  EXPECT_TRUE(fourth_in);
  EXPECT_EQ(gates.MostInFlight("sim-b"), 4);
  // A gate of one keeps nothing back.
  CallGates single(1);
  auto only = single.Enter("sim-c");
  EXPECT_EQ(single.InFlight("sim-c"), 1);
}

// A compute provider that counts the calls in it at once.
class CountingCompute final : public ComputeProvider {
 public:
  explicit CountingCompute(std::atomic<int>& active, std::atomic<int>& most, std::atomic<int>& calls) : active_(active), most_(most), calls_(calls) {}
  Result<ComputeState> State() override { return ComputeState{}; }
  Result<Deployment> Deploy(const std::string& service, const std::string&) override { return Deployment{service, "http://127.0.0.12:8000/"}; }
  Status Scale(const std::string&, int, const std::string&) override {
    int now = ++active_;
    for (int seen = most_; now > seen && !most_.compare_exchange_weak(seen, now);) {
    }
    // Stay a moment so that calls overlap where the gate lets them.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++calls_;
    --active_;
    return Status::Ok();
  }
  Result<std::vector<Deployment>> ProbeTargets() override { return std::vector<Deployment>{}; }

 private:
  std::atomic<int>& active_;
  std::atomic<int>& most_;
  std::atomic<int>& calls_;
};

class CountingAdapters final : public ProviderAdapters {
 public:
  std::atomic<int> active{0}, most{0}, calls{0};
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string&) override {
    return std::unique_ptr<ComputeProvider>(std::make_unique<CountingCompute>(active, most, calls));
  }
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override { return NotFound("no DNS at " + provider); }
};

TEST(GatedProviderAdapters, NoMoreCallsInFlightAtAProviderThanTheLimit) {
  CountingAdapters inner;
  CallGates gates(2);
  GatedProviderAdapters gated(inner, gates);
  std::vector<std::thread> callers;
  for (int i = 0; i < 12; ++i) {
    callers.emplace_back([&, i] {
      auto compute = gated.Compute("sim-b");
      ASSERT_TRUE(compute.ok());
      EXPECT_TRUE((*compute)->Scale("shop", i, "op/scale").ok());
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(inner.calls, 12);
  EXPECT_LE(inner.most, 2);
  EXPECT_EQ(gates.MostInFlight(CallGates::Name("sim-b", "compute")), inner.most.load());
  // What the inner adapters refuse is refused as it was.
  EXPECT_EQ(gated.Dns("lab-dns").status().code(), StatusCode::kNotFound);
}

TEST(GatedProviderAdapters, AnAdaptersOwnLimitOverridesTheDefault) {
  CountingAdapters inner;
  CallGates gates(8);
  // sim-b's compute adapter says one call at a time (calls_in_flight: 1).
  GatedProviderAdapters gated(inner, gates, [](const std::string& provider, const char* capability) -> std::optional<int> {
    if (provider == "sim-b" && std::string(capability) == "compute") return 1;
    return std::nullopt;
  });
  std::vector<std::thread> callers;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&, i] {
      auto compute = gated.Compute("sim-b");
      ASSERT_TRUE(compute.ok());
      EXPECT_TRUE((*compute)->Scale("shop", i, "op/scale").ok());
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(inner.calls, 6);
  EXPECT_EQ(inner.most, 1);
  EXPECT_EQ(gates.MostInFlight(CallGates::Name("sim-b", "compute")), 1);
}

// Object storage through a gate of one: each single-request call is
// gated, while the two streams a copy holds open at once (Get feeding Put)
// are not, so a copy within one provider cannot wait on itself.
TEST(GatedProviderAdapters, ObjectStorageCallsAreGatedButACopysStreamsAreNot) {
  testing::FakeAdapters inner;
  CallGates gates(1);
  GatedProviderAdapters gated(inner, gates);
  auto store = gated.Objects("sim-a");
  ASSERT_TRUE(store.ok());
  StringSource data("hello");
  ASSERT_TRUE((*store)->Put("k", data, 5).ok());
  const std::string gate = CallGates::Name("sim-a", "object_storage");
  int listed = -1;
  std::string copied;
  Status got = (*store)->Get("k", [&](std::string_view chunk) {
    copied += chunk;
    // Inside the Get stream: a Put and a List at the same provider go on
    // (a gated Get would hold the only slot here).
    StringSource again(chunk);
    EXPECT_TRUE((*store)->Put("k2", again, chunk.size()).ok());
    auto page = (*store)->List("", "", 10);
    EXPECT_TRUE(page.ok());
    listed = page.ok() ? static_cast<int>(page->objects.size()) : -1;
    return Status::Ok();
  });
  ASSERT_TRUE(got.ok()) << got.message();
  EXPECT_EQ(copied, "hello");
  EXPECT_EQ(listed, 2);
  EXPECT_EQ(gates.MostInFlight(gate), 1);  // the List went through the gate
  // While the gate is full, a Head waits; it goes on once the slot is free.
  std::atomic<bool> headed{false};
  std::thread header;
  {
    auto held = gates.Enter(gate);
    header = std::thread([&] {
      EXPECT_TRUE((*store)->Head("k").ok());
      headed = true;
    });
    ASSERT_TRUE(testing::Eventually([&] { return gates.Waiting(gate) == 1; }));
    EXPECT_FALSE(headed);
  }
  header.join();
  EXPECT_TRUE(headed);
}

}  // namespace
}  // namespace icb
