// Audiences on the binary and the lab: a workload placed on sim-a serves
// users near it and users far away; the broker, standing at both vantages
// (--audience-vantages), probes the service as each, and sim-a answers the
// far vantage after 300 ms (vantage_latency_ms); a third vantage pushes its
// own samples. GET /v1/workloads/{id}/audiences shows each audience's p95
// beside its objective. Only lower bounds and exact pushed figures are
// checked: a sleep is never shorter than asked.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/store/embedded_redis.h"
#include "tests/lab/lab_fixture.h"
#include "tests/support/broker_process.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"

namespace icb {
namespace {

using nlohmann::json;

class AudienceLabTest : public LabFixture {
 protected:
  static json Audience(testing::BrokerProcess& b, const std::string& workload, const std::string& id) {
    const json all = b.Get("/v1/workloads/" + workload + "/audiences");
    for (const auto& a : all["audiences"])
      if (a["id"] == id) return a;
    return json();
  }
  static std::string Now() {
    auto now = testing::RunShell("date -u +%Y-%m-%dT%H:%M:%SZ").second;
    while (!now.empty() && now.back() == '\n') now.pop_back();
    return now;
  }
};

TEST_F(AudienceLabTest, EachAudienceIsMeasuredFromItsOwnVantage) {
  std::vector<std::string> args = BrokerArgs(tmp_.path() + "/data");
  args.insert(args.end(), {"--audience-vantages", "seoul-1,frankfurt-1"});
  testing::BrokerProcess b(args, tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start()) << b.Log();
  EXPECT_NE(b.Log().find("measuring audiences from vantage seoul-1, frankfurt-1"), std::string::npos) << b.Log();
  Steer("sim-a", {{"vantage_latency_ms", {{"seoul-1", 0}, {"frankfurt-1", 300}}}});
  const json workload = {
      {"name", "Travel shop"}, {"priority", 1}, {"profile_id", "lab-web"}, {"placement", {{"provider", "sim-a"}}}, {"service", "travel"},
      {"instances", 1}, {"dns", {{"provider", "lab-dns"}, {"name", "travel.lab.example."}, {"ttl", 5}}},
      {"failover", {{"automatic", false}, {"interval_s", 0.2}}},
      {"audiences",
       {{{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 100}, {"window_s", 30}},
        {{"id", "abroad"}, {"networks", {"198.51.100.0/24"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 100}, {"window_s", 30}},
        {{"id", "east"}, {"networks", {"192.0.2.0/24"}}, {"vantage", "tokyo-1"}, {"p95_ms", 100}, {"window_s", 30}}}}};
  auto put = b.Call("PUT", "/v1/workloads/travel", workload.dump());
  ASSERT_EQ(put.status, 201) << put.body;
  auto audience = [&](const std::string& id) { return Audience(b, "travel", id); };
  // Both vantages this broker stands at have measured a few probes.
  ASSERT_TRUE(testing::Eventually([&] { return audience("home")["samples"]["ok"] >= 5 && audience("abroad")["samples"]["ok"] >= 5; }))
      << b.Get("/v1/workloads/travel/audiences").dump();
  const json home = audience("home"), abroad = audience("abroad");
  EXPECT_EQ(home["provider"], "sim-a");
  EXPECT_EQ(home["vantage"], "seoul-1");
  EXPECT_EQ(home["objective_p95_ms"], 100);
  EXPECT_EQ(abroad["provider"], "sim-a");
  EXPECT_GE(abroad["p95_ms"].get<double>(), 300.0);  // far away: sim-a answers it after 300 ms
  EXPECT_EQ(abroad["samples"]["failed"], 0);
  // Nobody probes from tokyo-1 here: silent until it pushes its own.
  EXPECT_TRUE(audience("east")["p95_ms"].is_null());
  EXPECT_EQ(audience("east")["samples"]["ok"], 0);
  const std::string now = Now();
  json pushed = {{"vantage", "tokyo-1"}, {"samples", json::array()}};
  for (double ms : {80.0, 120.0, 95.0}) pushed["samples"].push_back({{"ts", now}, {"ok", true}, {"latency_ms", ms}});
  auto accepted = b.Call("POST", "/v1/workloads/travel/samples", pushed.dump());
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(audience("east")["p95_ms"], 120);  // rank ceil(0.95 x 3) = 3 of 80, 95, 120
  EXPECT_EQ(audience("east")["samples"]["ok"], 3);
  // A vantage none of its audiences is measured from, on a workload not
  // watched for outages: nothing takes them.
  pushed["vantage"] = "lisbon-1";
  EXPECT_EQ(b.Call("POST", "/v1/workloads/travel/samples", pushed.dump()).status, 404);
  EXPECT_EQ(b.Call("GET", "/v1/workloads/nope/audiences").status, 404);
}

// Two replicas on one Redis, both standing at seoul-1: the workload's
// owner probes its audience, the other reads the samples it shares, so
// both show the same window, counted once (probed by both, it would hold
// twice the samples). Samples pushed to either count on both.
TEST_F(AudienceLabTest, TwoReplicasProbeAnAudienceOnceAndBothHoldItsWindow) {
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  std::vector<std::unique_ptr<testing::BrokerProcess>> brokers;
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> args = BrokerArgs(tmp_.path() + "/data" + std::to_string(i), (*redis)->address().port);
    *(std::find(args.begin(), args.end(), "--broker-id") + 1) = "replica-" + std::to_string(i);
    args.insert(args.end(), {"--audience-vantages", "seoul-1"});
    brokers.push_back(std::make_unique<testing::BrokerProcess>(args, tmp_.path() + "/broker" + std::to_string(i) + ".log"));
    ASSERT_TRUE(brokers.back()->Start());
  }
  // Probed every 0.2 s over a 10 s window: at most about 50 samples.
  const json workload = {
      {"name", "Travel shop"}, {"priority", 1}, {"profile_id", "lab-web"}, {"placement", {{"provider", "sim-a"}}}, {"service", "travel2"},
      {"instances", 1}, {"dns", {{"provider", "lab-dns"}, {"name", "travel2.lab.example."}, {"ttl", 5}}}, {"candidates", {"sim-a", "sim-c"}},
      {"failover", {{"automatic", false}, {"interval_s", 0.2}}},
      {"audiences",
       {{{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 100}, {"window_s", 10}},
        {{"id", "east"}, {"networks", {"192.0.2.0/24"}}, {"vantage", "tokyo-1"}, {"p95_ms", 100}, {"window_s", 10}}}}};
  ASSERT_EQ(brokers[1]->Call("PUT", "/v1/workloads/travel2", workload.dump()).status, 201);
  // A full window measured, and a few seconds more.
  ASSERT_TRUE(testing::Eventually([&] { return Audience(*brokers[0], "travel2", "home")["samples"]["ok"] >= 30; }, std::chrono::seconds(60)))
      << brokers[0]->Get("/v1/workloads/travel2/audiences").dump();
  std::this_thread::sleep_for(std::chrono::seconds(12));
  for (auto& b : brokers) {
    const json home = Audience(*b, "travel2", "home");
    EXPECT_GE(home["samples"]["ok"].get<int>(), 30) << home.dump();
    // Once, not twice: a probe is started at most every 0.2 s, and a late
    // one only delays the next (51 samples with both ends counted; 60
    // leaves room for a share still to be read).
    EXPECT_LE(home["samples"]["ok"].get<int>(), 60) << home.dump();
    EXPECT_EQ(home["provider"], "sim-a");
  }
  // Pushed to one replica: both count them.
  json pushed = {{"vantage", "tokyo-1"}, {"samples", json::array()}};
  for (double ms : {80.0, 120.0, 95.0}) pushed["samples"].push_back({{"ts", Now()}, {"ok", true}, {"latency_ms", ms}});
  ASSERT_EQ(brokers[0]->Call("POST", "/v1/workloads/travel2/samples", pushed.dump()).status, 202);
  for (auto& b : brokers) {
    EXPECT_TRUE(testing::Eventually([&] { return Audience(*b, "travel2", "east")["samples"]["ok"] == 3; })) << Audience(*b, "travel2", "east").dump();
    EXPECT_EQ(Audience(*b, "travel2", "east")["p95_ms"], 120);
  }
}

}  // namespace
}  // namespace icb
