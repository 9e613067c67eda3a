// Burst offload through the real binary on the lab: a workload behind the
// lab's HAProxy starts with all of its weight on sim-a; sim-a is steered
// slow (its p95 goes above the threshold), the broker borrows instances at
// the best-ranked secondary and HAProxy's counted split moves half of the
// requests there; sim-a is steered fast again, and after the (short, for
// the test) cooldown every request lands on sim-a again and the secondary
// runs what it ran before. Then bursts and scale backs with the broker
// killed with SIGKILL at random points (before a trigger, inside the steps
// while a slow control plane's call is in flight, after), counting each
// operation's effects at the sims.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/store/embedded_redis.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/broker_process.h"
#include "tests/lab/lab_fixture.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::BrokerProcess;

class BurstLabTest : public LabFixture {
 protected:
  void SetUp() override {
    LabFixture::SetUp();
    if (!HasFatalFailure()) MakeRoomy();
  }
  int Instances(const std::string& provider, const std::string& service) {
    auto [rc, out] = testing::RunShell("curl -sf " + SimUrl(provider) + "/v1/state");
    if (rc != 0) return -1;
    const json state = json::parse(out);
    for (const auto& s : state["services"])
      if (s["service"] == service) return s["instances"];
    return 0;
  }
  // HAProxy's current weight of a server (from its runtime API).
  int Weight(const std::string& server) {
    const std::string sock = (*lab_)["haproxy"]["runtime_socket"];
    auto [rc, out] = testing::RunShell("python3 -c 'import socket,sys; c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.sendall((sys.argv[2] + chr(10)).encode()); print(c.recv(4096).decode())' " +
                                       sock + " 'get weight providers/" + server + "'");
    return rc == 0 ? std::atoi(out.c_str()) : -1;
  }
  // Where `n` requests through HAProxy's frontend land (each sim answers its name).
  std::map<std::string, int> Landings(int n) {
    const std::string url = (*lab_)["haproxy"]["frontend_url"];
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    std::map<std::string, int> seen;
    for (int i = 0; i < n; ++i) {
      auto r = testing::HttpCall(port, "GET", "/");
      std::string who = r.status == 200 ? r.body : "(failed)";
      while (!who.empty() && who.back() == '\n') who.pop_back();
      ++seen[who];
    }
    return seen;
  }
  std::vector<json> Ops(BrokerProcess& b, const std::string& kind, const std::string& workload) { return Operations(b, kind, workload); }
  // A workload of 2 instances on sim-a behind the lab's HAProxy, bursting
  // half of its traffic when its p95 goes above 200 ms over `window_s`
  // (above what a loaded machine makes of a calm sim: the tests run beside
  // others); returns once its place operation succeeded.
  void PutAndPlace(BrokerProcess& b, const std::string& id, double window_s, double cooldown_s) {
    json w = {{"name", "Workload " + id}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
              {"placement", {{"provider", "sim-a"}}}, {"service", id}, {"instances", 2},
              {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
              {"split", {{"provider", "lab-lb"}, {"servers", {{"sim-a", "sim-a"}, {"sim-b", "sim-b"}, {"sim-c", "sim-c"}}}}},
              {"burst", {{"p95_ms_above", 200}, {"window_s", window_s}, {"share_percent", 50}, {"cooldown_s", cooldown_s}}},
              {"failover", {{"automatic", false}, {"interval_s", 0.2}}}};
    ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, w.dump()).status, 201);
    ASSERT_TRUE(testing::Eventually([&] {
      auto placed = Ops(b, "place", id);
      return !placed.empty() && placed[0]["state"] == "succeeded";
    })) << json(Ops(b, "place", id)).dump();
  }
};

TEST_F(BurstLabTest, ALoadSpikeBurstsToASecondaryAndScalesBackAfterTheCooldown) {
  const std::string dir = LabEnvironment::Dir();
  BrokerProcess b({"--data-dir", tmp_.path() + "/data", "--catalog", dir + "/catalog", "--credentials", dir + "/credentials.json", "--broker-id",
                   "lab-broker"},
                  tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  const std::string id = "spiky";
  ASSERT_NO_FATAL_FAILURE(PutAndPlace(b, id, 2, 3));
  // Placed: all of its weight on sim-a.
  // HAProxy's weighted round robin takes a weight change at its next round:
  // the round in progress when the weights went from the lab's even 1s to
  // 100/0/0 still hands a few requests to sim-b and sim-c. Then none.
  (void)Landings(40);
  auto calm = Landings(40);
  EXPECT_EQ(calm["sim-a"], 40) << json(calm).dump();

  // sim-a slows down: 400 ms a request, above the 200 ms p95 threshold.
  const auto slow_at = std::chrono::steady_clock::now();
  Steer("sim-a", {{"latency_ms", 400}});
  ASSERT_TRUE(testing::Eventually([&] {
    auto ops = Ops(b, "burst", id);
    return !ops.empty() && ops[0]["state"] == "succeeded";
  })) << json(Ops(b, "burst", id)).dump();
  const double burst_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - slow_at).count();
  json burst = Ops(b, "burst", id).at(0);
  const std::string secondary = burst["target"]["provider"];
  EXPECT_NE(secondary, "sim-a");
  EXPECT_EQ(b.Get("/v1/workloads/" + id)["state"], "bursting");
  EXPECT_GE(Instances(secondary, id), 2) << burst.dump();
  // HAProxy's weighted round robin now alternates: half of the requests land on the secondary.
  auto split = Landings(40);
  EXPECT_NEAR(split[secondary], 20, 2) << json(split).dump();
  EXPECT_NEAR(split["sim-a"], 20, 2) << json(split).dump();
  auto started = b.Call("GET", "/v1/events?kind=burst_started&workload=" + id);
  ASSERT_EQ(started.status, 200);
  EXPECT_NE(started.body.find("p95_ms"), std::string::npos) << started.body;

  // sim-a is fast again: after the window and the cooldown the weights return.
  const auto fast_at = std::chrono::steady_clock::now();
  Steer("sim-a", {{"latency_ms", 0}});
  ASSERT_TRUE(testing::Eventually([&] {
    auto ops = Ops(b, "scale_back", id);
    return !ops.empty() && ops[0]["state"] == "succeeded";
  })) << json(Ops(b, "scale_back", id)).dump();
  const double back_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - fast_at).count();
  // Not before the cooldown, by the broker's own record: calm since, then 3 s, then the scale back.
  json back = Ops(b, "scale_back", id).at(0);
  ASSERT_TRUE(back["request"]["load"]["calm_since"].is_string()) << back.dump();
  const auto calm_since = ParseRfc3339(back["request"]["load"]["calm_since"].get<std::string>());
  const auto created = ParseRfc3339(back["created_at"].get<std::string>());
  ASSERT_TRUE(calm_since && created);
  EXPECT_GE(*created - *calm_since, Millis(3000));
  auto home = Landings(40);
  EXPECT_EQ(home["sim-a"], 40) << json(home).dump();
  EXPECT_EQ(Instances(secondary, id), 0);  // what it ran before the burst
  EXPECT_EQ(b.Get("/v1/workloads/" + id)["state"], "running");
  EXPECT_EQ(Ops(b, "burst", id).size(), 1u);
  EXPECT_EQ(Ops(b, "scale_back", id).size(), 1u);
  std::printf("burst: bursted to %s %.1f s after sim-a slowed (window 2 s), split %d/%d; scaled back %.1f s after it recovered (cooldown 3 s)\n",
              secondary.c_str(), burst_s, split["sim-a"], split[secondary], back_s);
}

TEST_F(BurstLabTest, ABrokerKilledAtRandomPointsOfBurstsAndScaleBacksDoesEachOnce) {
  // An external Redis outlives the killed brokers.
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  const std::string dir = LabEnvironment::Dir();
  BrokerProcess b({"--data-dir", tmp_.path() + "/data", "--catalog", dir + "/catalog", "--credentials", dir + "/credentials.json", "--broker-id",
                   "lab-broker", "--redis", "redis://127.0.0.1:" + std::to_string((*redis)->address().port)},
                  tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  const std::string id = "jumpy";
  // A 2 s window: the sampler probes every 0.2 s, a slowed sim answers in
  // 0.4 s, and the trigger judges a window of 3 samples or more.
  ASSERT_NO_FATAL_FAILURE(PutAndPlace(b, id, 2, 1));
  // A control plane that takes 150 ms a deploy or scale (real clouds take
  // seconds): kills land inside those calls, which still take effect.
  Steer("sim-b", {{"api_latency_ms", 150}});
  Steer("sim-c", {{"api_latency_ms", 150}});
  std::mt19937 rng(std::random_device{}());
  // Kills the broker at a random point on the way to the `n`th operation of
  // `kind` (before its trigger, inside its steps, or after it), restarts it
  // and returns that operation once it succeeded.
  int kills = 0, inside = 0, run_again = 0;
  auto kill_during = [&](const std::string& kind, size_t n, bool kill, int from_us, int to_us) -> json {
    if (kill) {
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
        // Anywhere from before the trigger to after the operation.
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(from_us, to_us)(rng)));
      } else {
        // Inside the operation's steps (a few hundred ms in all).
        EXPECT_TRUE(testing::Eventually([&] { return Ops(b, kind, id).size() >= n; }, std::chrono::seconds(400))) << kind << " " << n;
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 300'000)(rng)));
      }
      b.Kill(SIGKILL);
      ++kills;
      EXPECT_TRUE(b.Start());
      auto ops = Ops(b, kind, id);
      inside += ops.size() == n && Newest(ops)["state"] != "succeeded";
    }
    json op;
    EXPECT_TRUE(testing::Eventually([&] {
      auto ops = Ops(b, kind, id);
      if (ops.size() < n || Newest(ops)["state"] != "succeeded") return false;
      op = Newest(ops);
      return true;
    })) << json(Ops(b, kind, id)).dump();
    if (op.is_object())
      for (const auto& s : op["steps"]) run_again += s["attempts"].get<int>() > 1;
    return op;
  };
  constexpr int kRounds = 11;  // 10 killed rounds, 20 kills
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool kill = round > 0;  // round 0 unkilled
    Steer("sim-a", {{"latency_ms", 400}});
    json burst = kill_during("burst", static_cast<size_t>(round + 1), kill, 500'000, 2'500'000);
    ASSERT_TRUE(burst.is_object());
    const std::string secondary = burst["target"]["provider"];
    // Nothing lost: the borrowed instances run and the split sends half there.
    EXPECT_GE(Instances(secondary, id), 2);
    EXPECT_EQ(Weight("sim-a"), 50);
    EXPECT_EQ(Weight(secondary), 50);
    // Nothing twice: the burst scaled the secondary up once (and deployed
    // there at most once, the first time).
    auto up = Effects(id, burst["id"]);
    EXPECT_EQ(up["scale"], 1) << json(up).dump();
    EXPECT_LE(up["deploy"], 1) << json(up).dump();
    Steer("sim-a", {{"latency_ms", 0}});
    json back = kill_during("scale_back", static_cast<size_t>(round + 1), kill, 1'000'000, 3'500'000);
    ASSERT_TRUE(back.is_object());
    EXPECT_EQ(Instances(secondary, id), 0);
    EXPECT_EQ(Weight("sim-a"), 100);
    EXPECT_EQ(Weight(secondary), 0);
    auto down = Effects(id, back["id"]);
    EXPECT_EQ(down["scale"], 1) << json(down).dump();
    EXPECT_EQ(down["deploy"], 0) << json(down).dump();
    EXPECT_EQ(Ops(b, "burst", id).size(), static_cast<size_t>(round + 1));
    EXPECT_EQ(Ops(b, "scale_back", id).size(), static_cast<size_t>(round + 1));
    ASSERT_TRUE(testing::Eventually([&] { return b.Get("/v1/workloads/" + id)["state"] == "running"; }));
  }
  auto all = Effects(id);
  EXPECT_EQ(all["deploy"], 2) << json(all).dump();  // placed on sim-a, deployed at the secondary by the first burst
  EXPECT_EQ(all["scale"], 1 + 2 * kRounds) << json(all).dump();  // the placement's, then one up and one down per round
  RecordProperty("kills", kills);
  std::printf("burst and scale back killed at %d random points (%d inside an operation, %d steps ran again): %d deploys, %d scales, each once\n",
              kills, inside, run_again, all["deploy"], all["scale"]);
}

}  // namespace
}  // namespace icb
