// Latency-aware placement through the real binary on the lab, as a new
// user would try it: a workload on sim-a with its data in sim-a's bucket
// serves two audiences, one near (seoul-1) and one far (frankfurt-1); the
// broker stands at both vantages. Frankfurt's latency at sim-a is steered
// from 20 to 400 ms while sim-c answers it in 20 ms: the far audience is
// served from sim-c, its data copied there and verified, and dig with each
// audience's client subnet gets its own answer (a client in neither, and
// the near audience, keep sim-a's); when sim-a is fast again for Frankfurt
// the audience comes back after its cooldown and sim-c gives back what it
// borrowed. Then rounds of the same with the broker killed with SIGKILL at
// random points, counting each operation's effects at the simulators.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/store/embedded_redis.h"
#include "tests/lab/lab_fixture.h"
#include "tests/support/broker_process.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::BrokerProcess;

constexpr const char* kNear = "203.0.113.0/24";
constexpr const char* kFar = "198.51.100.0/24";
constexpr const char* kNobody = "192.0.2.0/24";

class LocalizeLabTest : public LabFixture {
 protected:
  void SetUp() override {
    LabFixture::SetUp();
    if (HasFatalFailure()) return;
    MakeRoomy();
    id_ = "travel-" + LabEnvironment::RunId();  // objects outlive lab reset
    seed_ = tmp_.path() + "/seed";
    // Eight objects, 1 KiB to 3 MiB.
    std::string cmd = "set -e; mkdir -p " + seed_ + "; cd " + seed_ + ";";
    for (int i = 0; i < 8; ++i) cmd += " head -c " + std::to_string(1024L << (i + 2)) + " /dev/urandom > obj-" + std::to_string(i) + ";";
    auto [rc, out] = testing::RunShell(cmd);
    ASSERT_EQ(rc, 0) << out;
    (void)Aws("s3 mb s3://sim-a");
    for (const auto& id : {id_, Second()}) {
      auto [cp, cp_out] = Aws("s3 cp --recursive --only-show-errors " + seed_ + " s3://sim-a/" + id + "/");
      ASSERT_EQ(cp, 0) << cp_out;
    }
    // Seoul is near every provider; Frankfurt near sim-a and sim-c, far from sim-b.
    Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 20}}}});
    Steer("sim-b", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 400}}}});
    Steer("sim-c", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 20}}}});
  }
  std::vector<std::string> Args(int redis_port = 0) {
    std::vector<std::string> args = BrokerArgs(tmp_.path() + "/data", redis_port);
    args.insert(args.end(), {"--audience-vantages", "seoul-1,frankfurt-1"});
    return args;
  }
  // Two audiences, windows and cooldowns of 4 s (a real one: minutes); the
  // objectives leave room for a loaded test machine's slow answers (a CI
  // run with both cores busy saw the far audience at sim-a over 150 ms with
  // sim-a answering it in 20, and localize again at once).
  void PutAndPlace(BrokerProcess& b, const std::string& id) {
    const json w = {{"name", "Travel shop"}, {"priority", 1}, {"profile_id", "lab-web"}, {"placement", {{"provider", "sim-a"}}}, {"service", id},
                    {"instances", 2}, {"dns", {{"provider", "lab-dns"}, {"name", Name(id)}, {"ttl", 5}}},
                    {"data", json::array({{{"name", "files"}, {"prefix", id + "/"}}})},
                    {"failover", {{"automatic", false}, {"interval_s", 0.2}}},
                    {"audiences",
                     {{{"id", "home"}, {"networks", {kNear}}, {"vantage", "seoul-1"}, {"p95_ms", 1000}, {"window_s", 4}, {"cooldown_s", 4}},
                      {{"id", "abroad"}, {"networks", {kFar, "2001:db8::/32"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 250}, {"window_s", 4},
                       {"cooldown_s", 4}}}}};
    auto put = b.Call("PUT", "/v1/workloads/" + id, w.dump());
    ASSERT_EQ(put.status, 201) << put.body;
    ASSERT_TRUE(testing::Eventually([&] {
      const json wl = b.Get("/v1/workloads/" + id);
      return wl.value("state", "") == "running" && wl.value("operation", "").empty() && Dig(Name(id)) == Address("sim-a");
    })) << b.Get("/v1/workloads/" + id).dump();
  }
  // A second workload like the first, for operations side by side.
  std::string Second() const { return id_ + "-2"; }
  std::string Name(const std::string& id = "") const { return (id.empty() ? id_ : id) + ".lab.example."; }
  std::vector<json> Ops(BrokerProcess& b, const std::string& kind, const std::string& id = "") { return Operations(b, kind, id.empty() ? id_ : id); }
  // The `n`th operation of `kind` once it succeeded.
  json Succeeded(BrokerProcess& b, const std::string& kind, size_t n, const std::string& id = "") {
    json op;
    EXPECT_TRUE(testing::Eventually([&] {
      auto ops = Ops(b, kind, id);
      if (ops.size() < n || Newest(ops)["state"] != "succeeded") return false;
      op = Newest(ops);
      return true;
    })) << kind << " " << n << ": " << json(Ops(b, kind, id)).dump();
    return op;
  }
  int Instances(const std::string& provider, const std::string& id = "") {
    const json state = State(provider);  // named: a loop over a temporary's member would dangle
    for (const auto& s : state["services"])
      if (s["service"] == (id.empty() ? id_ : id)) return s["instances"];
    return 0;
  }
  std::string id_, seed_;
};

TEST_F(LocalizeLabTest, AFarAudienceIsServedNearItWithItsDataAndComesBackAfterTheCooldown) {
  BrokerProcess b(Args(), tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start()) << b.Log();
  ASSERT_NO_FATAL_FAILURE(PutAndPlace(b, id_));
  EXPECT_EQ(Dig(Name(), "A", kNear), Address("sim-a"));
  EXPECT_EQ(Dig(Name(), "A", kFar), Address("sim-a"));
  std::this_thread::sleep_for(std::chrono::seconds(5));  // a covered window: near enough, nothing moves
  EXPECT_TRUE(Ops(b, "localize").empty());

  // Frankfurt's users see sim-a slow.
  const auto slow_at = std::chrono::steady_clock::now();
  Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 400}}}});
  ASSERT_TRUE(testing::Eventually([&] { return Dig(Name(), "A", kFar) == Address("sim-c"); })) << json(Ops(b, "localize")).dump();
  const double moved_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - slow_at).count();
  const json op = Succeeded(b, "localize", 1);
  ASSERT_TRUE(op.is_object());
  EXPECT_EQ(op["request"]["audience"], "abroad");
  // Each audience its own answer; a client in neither, and no subnet at all, the placement's.
  EXPECT_EQ(Dig(Name(), "A", kNear), Address("sim-a"));
  EXPECT_EQ(Dig(Name(), "A", "2001:db8:7::/48"), Address("sim-c"));
  EXPECT_EQ(Dig(Name(), "A", kNobody), Address("sim-a"));
  EXPECT_EQ(Dig(Name()), Address("sim-a"));
  const json wl = b.Get("/v1/workloads/" + id_);
  EXPECT_EQ(wl["placement"]["provider"], "sim-a");
  EXPECT_EQ(wl["audience_placements"]["abroad"]["provider"], "sim-c");
  EXPECT_FALSE(wl["audience_placements"].contains("home"));
  // The decision weighed each candidate's latency from Frankfurt.
  json decision, sync, verify;
  for (const auto& s : op["steps"]) {
    if (s["name"] == "choose_target") decision = s["detail"];
    if (s["name"] == "sync_data") sync = s["detail"];
    if (s["name"] == "verify") verify = s["detail"];
  }
  EXPECT_GE(decision["placement"]["latency"]["p95_ms"].get<double>(), 400.0) << decision.dump();
  for (const auto& c : decision["candidates"])
    if (c["provider"] == "sim-b") {
      EXPECT_GE(c["latency"]["p95_ms"].get<double>(), 400.0) << c.dump();
    }
  EXPECT_EQ(verify["vantage"], "frankfurt-1");
  // Its data is at sim-c, every object verified: the bucket holds the seed's bytes.
  EXPECT_EQ(sync["copied"], true) << sync.dump();
  EXPECT_EQ(sync["delta"]["objects"], 8) << sync.dump();
  EXPECT_EQ(sync["delta"]["verified"], 8) << sync.dump();
  const std::string there = tmp_.path() + "/at-sim-c";
  ASSERT_EQ(Aws("s3 cp --recursive --only-show-errors s3://sim-c/" + id_ + "/ " + there).first, 0);
  EXPECT_EQ(Hashes(there), Hashes(seed_));
  EXPECT_EQ(Instances("sim-c"), 2);
  EXPECT_EQ(b.Get("/v1/workloads/" + id_ + "/audiences")["audiences"][1]["provider"], "sim-c");

  // sim-a is near Frankfurt again: back after the cooldown, sim-c scaled back.
  const auto fast_at = std::chrono::steady_clock::now();
  Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 20}}}});
  ASSERT_TRUE(testing::Eventually([&] { return Dig(Name(), "A", kFar) == Address("sim-a"); })) << json(Ops(b, "delocalize")).dump();
  const double back_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fast_at).count();
  const json back = Succeeded(b, "delocalize", 1);
  ASSERT_TRUE(back.is_object());
  ASSERT_TRUE(back["request"]["latency"]["calm_since"].is_string()) << back.dump();
  const auto calm_since = ParseRfc3339(back["request"]["latency"]["calm_since"].get<std::string>());
  const auto created = ParseRfc3339(back["created_at"].get<std::string>());
  ASSERT_TRUE(calm_since && created);
  EXPECT_GE(*created - *calm_since, Millis(4000));  // not before the cooldown
  EXPECT_EQ(Instances("sim-c"), 0);
  EXPECT_FALSE(b.Get("/v1/workloads/" + id_).contains("audience_placements"));
  EXPECT_EQ(Dig(Name(), "A", kNear), Address("sim-a"));
  EXPECT_EQ(Ops(b, "localize").size(), 1u);
  EXPECT_EQ(Ops(b, "delocalize").size(), 1u);
  std::printf("localize: audience abroad answered sim-c %.1f s after sim-a slowed for it (window 4 s); back %.1f s after it recovered (cooldown 4 s)\n",
              moved_s, back_s);
}

TEST_F(LocalizeLabTest, ABrokerKilledAtRandomPointsOfLocalizesAndDelocalizesSideBySideDoesEachOnce) {
  // An external Redis outlives the killed brokers.
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  BrokerProcess b(Args((*redis)->address().port), tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start()) << b.Log();
  // Two workloads whose far audiences move at the same time: their operations run side by side.
  const std::vector<std::string> ids = {id_, Second()};
  for (const auto& id : ids) ASSERT_NO_FATAL_FAILURE(PutAndPlace(b, id));
  // A control plane that takes 150 ms a call: kills land inside them.
  Steer("sim-c", {{"api_latency_ms", 150}});
  std::mt19937 rng(std::random_device{}());
  int kills = 0, inside = 0, overlapped = 0;
  // Kills the broker at a random point on the way to the `n`th operation
  // of `kind` of each workload (before the trigger, inside the steps, or
  // after), restarts it and returns those operations once they succeeded.
  auto kill_during = [&](const std::string& kind, size_t n, bool kill, int to_us) {
    if (kill) {
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, to_us)(rng)));
      } else {
        EXPECT_TRUE(testing::Eventually([&] { return Ops(b, kind).size() >= n; })) << kind << " " << n;
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 600'000)(rng)));
      }
      b.Kill(SIGKILL);
      ++kills;
      EXPECT_TRUE(b.Start()) << b.Log();
      for (const auto& id : ids) {
        auto ops = Ops(b, kind, id);
        inside += ops.size() == n && Newest(ops)["state"] != "succeeded";
      }
    }
    std::vector<json> done;
    for (const auto& id : ids) done.push_back(Succeeded(b, kind, n, id));
    // Side by side: one's steps ran while the other's did.
    if (done[0].is_object() && done[1].is_object() && done[0]["created_at"] <= done[1]["updated_at"] && done[1]["created_at"] <= done[0]["updated_at"])
      ++overlapped;
    return done;
  };
  constexpr int kRounds = 5;  // 4 killed rounds, 8 kills of two workloads' operations
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool kill = round > 0;
    Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 400}}}});
    const auto there = kill_during("localize", static_cast<size_t>(round + 1), kill, 4'000'000);
    for (size_t i = 0; i < ids.size(); ++i) {
      SCOPED_TRACE(ids[i]);
      ASSERT_TRUE(there[i].is_object());
      EXPECT_EQ(there[i]["target"]["provider"], "sim-c");
      // Nothing lost: sim-c runs the service and answers the far audience.
      EXPECT_EQ(Instances("sim-c", ids[i]), 2);
      EXPECT_EQ(Dig(Name(ids[i]), "A", kFar), Address("sim-c"));
      EXPECT_EQ(Dig(Name(ids[i]), "A", kNear), Address("sim-a"));
      // Nothing twice: one scale up (a deploy only the first time).
      auto up = Effects(ids[i], there[i]["id"], "sim-c");
      EXPECT_EQ(up["scale"], 1) << json(up).dump();
      EXPECT_LE(up["deploy"], 1) << json(up).dump();
    }
    Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 20}}}});
    const auto back = kill_during("delocalize", static_cast<size_t>(round + 1), kill, 9'000'000);
    for (size_t i = 0; i < ids.size(); ++i) {
      SCOPED_TRACE(ids[i]);
      ASSERT_TRUE(back[i].is_object());
      EXPECT_EQ(Instances("sim-c", ids[i]), 0);
      EXPECT_EQ(Dig(Name(ids[i]), "A", kFar), Address("sim-a"));
      auto down = Effects(ids[i], back[i]["id"], "sim-c");
      EXPECT_EQ(down["scale"], 1) << json(down).dump();
      EXPECT_EQ(down["deploy"], 0) << json(down).dump();
      // On a mismatch, each operation's state, reason and steps say which one is more.
      EXPECT_EQ(Ops(b, "localize", ids[i]).size(), static_cast<size_t>(round + 1)) << json(Ops(b, "localize", ids[i])).dump();
      EXPECT_EQ(Ops(b, "delocalize", ids[i]).size(), static_cast<size_t>(round + 1)) << json(Ops(b, "delocalize", ids[i])).dump();
    }
  }
  int deploys = 0, scales = 0;
  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    auto at_c = Effects(id, "", "sim-c");
    EXPECT_EQ(at_c["deploy"], 1) << json(at_c).dump();
    EXPECT_EQ(at_c["scale"], 2 * kRounds) << json(at_c).dump();
    auto at_a = Effects(id, "", "sim-a");
    EXPECT_EQ(at_a["deploy"], 1) << json(at_a).dump();  // placed once, never touched again
    EXPECT_EQ(at_a["scale"], 1) << json(at_a).dump();
    const std::string there = tmp_.path() + "/at-sim-c-" + id;
    ASSERT_EQ(Aws("s3 cp --recursive --only-show-errors s3://sim-c/" + id + "/ " + there).first, 0);
    EXPECT_EQ(Hashes(there), Hashes(seed_));
    deploys += at_c["deploy"];
    scales += at_c["scale"];
  }
  RecordProperty("kills", kills);
  std::printf("localize and delocalize of 2 workloads killed at %d random points (%d operations cut inside, %d of %d pairs side by side): "
              "%d deploys and %d scales at sim-c, each once\n",
              kills, inside, overlapped, 2 * kRounds, deploys, scales);
}

}  // namespace
}  // namespace icb
