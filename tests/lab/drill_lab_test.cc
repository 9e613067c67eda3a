// A drill on the lab, then the disaster it rehearsed: `icbroker drill`
// (the real command against the real broker) predicts where each of
// sim-a's workloads lands and how long it takes, changes nothing at any
// simulated provider, and then sim-a goes down: every workload lands where
// the drill said (the unplaced stay unplaced), each verified at its target
// (plus the record's TTL, as the prediction counts it) within its
// predicted RTO + 2 s of the outage, and each failover shows its achieved
// parts beside the drill's. Before it, readiness (standing drills every
// second) names the two that would find no room.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "tests/lab/lab_fixture.h"
#include "tests/support/eventually.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::BrokerProcess;

class DrillLabTest : public LabFixture {
 protected:
  void SetUp() override {
    LabFixture::SetUp();
    if (!HasFatalFailure()) MakeRoomy();
  }
  static json Workload(const std::string& id, int priority, const std::string& klass, const std::string& on) {
    return {{"name", "Workload " + id}, {"priority", priority}, {"recovery_class", klass}, {"profile_id", "lab-web"},
            {"placement", {{"provider", on}}}, {"service", id}, {"instances", 2},
            {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}}, {"rto_s", 30},
            {"failover", {{"automatic", true}, {"interval_s", 0.5}, {"failures", 3}, {"recoveries", 2}}}};
  }
  // Deploy and scale calls each simulated provider logged (done or refused).
  std::map<std::string, size_t> CallCounts() const {
    std::map<std::string, size_t> n;
    for (const auto& sim : (*lab_)["compute"]) {
      auto [rc, out] = testing::RunShell("curl -sf " + sim["url"].get<std::string>() + "/v1/calls");
      n[sim["provider"]] = rc == 0 ? json::parse(out)["calls"].size() : 0;
    }
    return n;
  }
};

TEST_F(DrillLabTest, TheDisasterLandsEachWorkloadWhereTheDrillSaidWithinItsPredictedRto) {
  std::vector<std::string> args = BrokerArgs(tmp_.path() + "/data");
  args.insert(args.end(), {"--readiness-interval-s", "1"});
  BrokerProcess b(args, tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  // Six on sim-a of three priorities, and one resident on each other
  // provider (what the drill measures their control planes by).
  const std::vector<std::tuple<std::string, int, std::string, std::string>> all = {
      {"dd1", 1, "fast", "sim-a"},    {"dd2", 1, "quality", "sim-a"}, {"dd3", 2, "fast", "sim-a"}, {"dd4", 2, "fast", "sim-a"},
      {"dd5", 3, "fast", "sim-a"},    {"dd6", 3, "fast", "sim-a"},    {"res-b", 1, "fast", "sim-b"}, {"res-c", 1, "fast", "sim-c"}};
  for (const auto& [id, prio, klass, on] : all) ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, Workload(id, prio, klass, on).dump()).status, 201);
  ASSERT_TRUE(testing::Eventually([&] {
    for (const auto& w : all)
      if (b.Get("/v1/workloads/" + std::get<0>(w)).value("state", "") != "running") return false;
    return true;
  }, std::chrono::seconds(60)));
  // Room for four of the six: two at sim-b, two at sim-c.
  Steer("sim-b", {{"capacity", Used("sim-b") + 4}});
  Steer("sim-c", {{"capacity", Used("sim-c") + 4}});

  // Readiness says so before any disaster: the two of priority 3 would
  // find no room, the others are ready.
  ASSERT_TRUE(testing::Eventually([&] {
    const json r = b.Get("/v1/readiness");
    int unready = 0, ready = 0;
    for (const auto& w : r["workloads"]) (w["ready"].get<bool>() ? ready : unready) += 1;
    return unready == 2 && ready == 6;
  }, std::chrono::seconds(30))) << b.Get("/v1/readiness").dump();
  for (const auto& w : b.Get("/v1/readiness")["workloads"])
    if (!w["ready"].get<bool>()) {
      EXPECT_TRUE(w["workload"] == "dd5" || w["workload"] == "dd6") << w.dump();
      EXPECT_NE(w["reasons"][0].get<std::string>().find("unplaced"), std::string::npos) << w.dump();
    }
  const auto calls_before = CallCounts();
  const int used_b = Used("sim-b"), used_c = Used("sim-c");
  auto [rc, out] = testing::RunShell(std::string(ICBROKER_BIN) + " drill --broker http://127.0.0.1:" + std::to_string(b.port()) +
                                     " --providers sim-a --format json");
  ASSERT_EQ(rc, 3) << out;  // two would be unplaced: exit 3
  const json drill = json::parse(out);
  // It only looked: no provider logged a deploy or a scale since.
  for (const auto& [sim, n] : calls_before) {
    auto [rc2, log] = testing::RunShell("curl -sf " + SimUrl(sim) + "/v1/calls");
    const json listed = json::parse(log);
    for (size_t k = n; k < listed["calls"].size(); ++k)
      ADD_FAILURE() << sim << " got a call that changes something during the drill: " << listed["calls"][k].dump();
  }
  EXPECT_EQ(Used("sim-b"), used_b);
  EXPECT_EQ(Used("sim-c"), used_c);
  ASSERT_EQ(drill["workloads"].size(), 6u) << drill.dump();
  std::map<std::string, json> predicted;
  for (const auto& w : drill["workloads"]) predicted[w["workload"]] = w;
  EXPECT_EQ(drill["workloads"][0]["workload"], "dd1");  // priority order, then id
  EXPECT_EQ(drill["workloads"][5]["workload"], "dd6");

  const TimePoint outage = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  Steer("sim-a", {{"outage", true}});
  ASSERT_TRUE(testing::Eventually([&] {
    const json recs = b.Get("/v1/operations?kind=recovery");
    return !recs["operations"].empty() && recs["operations"][0]["state"] != "running" && recs["operations"][0]["state"] != "pending" &&
           recs["operations"][0]["state"] != "waiting";
  }, std::chrono::seconds(120))) << b.Get("/v1/operations?kind=recovery").dump();

  std::printf("%-6s %-7s %-7s %10s %10s  %s\n", "id", "drill", "landed", "predicted", "achieved", "parts predicted (detect+capacity+data+dns+verify)");
  for (const auto& [id, w] : predicted) {
    const json now = b.Get("/v1/workloads/" + id);
    if (w["target"].is_null()) {
      EXPECT_EQ(now["state"], "unplaced") << id;
      EXPECT_EQ(now["placement"]["provider"], "sim-a") << id;
      std::printf("%-6s %-7s %-7s %10s %10s\n", id.c_str(), "-", now["state"].get<std::string>().c_str(), "-", "-");
      continue;
    }
    EXPECT_EQ(now["placement"]["provider"], w["target"]) << id << " " << w.dump();
    const json op = Newest(Operations(b, "failover", id));
    ASSERT_FALSE(op.is_null()) << id;
    std::optional<TimePoint> verified;
    for (const auto& s : op["steps"])
      if (s["name"] == "verify" && s["ended_at"].is_string()) verified = ParseRfc3339(s["ended_at"].get<std::string>());
    ASSERT_TRUE(verified) << op.dump();
    // From the outage to verified at the target, plus the TTL (clients'
    // caches), as the prediction counts it.
    const double achieved = std::chrono::duration<double>(*verified - outage).count() + 5;
    const double rto = w["predicted_rto_s"].get<double>();
    EXPECT_LE(achieved, rto + 2) << id << " predicted " << w.dump();
    // The operation shows the same: its parts beside the drill's.
    const json shown = b.Get("/v1/operations/" + op["id"].get<std::string>())["rto"];
    EXPECT_EQ(shown["predicted"]["drill"], drill["id"]) << shown.dump();
    EXPECT_TRUE(shown["error"]["target_as_predicted"].get<bool>()) << shown.dump();
    ASSERT_TRUE(shown["achieved"]["rto_s"].is_number()) << shown.dump();
    EXPECT_LE(shown["achieved"]["rto_s"].get<double>(), rto + 2) << shown.dump();
    const json& p = w["rto_parts"];
    const json& a = shown["achieved"];
    std::printf("%-6s %-7s %-7s %10.1f %10.1f  %.1f+%.1f+%.1f+%.1f+%.1f achieved %.1f+%.1f+%.1f+%.1f+%.1f (%s)\n", id.c_str(),
                w["target"].get<std::string>().c_str(), now["placement"]["provider"].get<std::string>().c_str(), rto, achieved,
                p["detection_s"].get<double>(), p["capacity_s"].get<double>(), p["data_s"].get<double>(), p["dns_s"].get<double>(),
                p["verify_s"].get<double>(), a["detection_s"].get<double>(), a["capacity_s"].get<double>(), a["data_s"].get<double>(),
                a["dns_s"].get<double>(), a["verify_s"].get<double>(), w["rto_basis"].dump().c_str());
  }

  // The next drill learns from what the recovery achieved: sim-c's
  // capacity is now timed by two failovers there (detection to capacity
  // up), not only by its resident's placement.
  Steer("sim-c", {{"capacity", 1000}});
  auto [rc2, out2] = testing::RunShell(std::string(ICBROKER_BIN) + " drill --broker http://127.0.0.1:" + std::to_string(b.port()) +
                                       " --providers sim-a,sim-b --format json");
  ASSERT_TRUE(rc2 == 0 || rc2 == 3) << out2;
  const json next = json::parse(out2);
  double learned = -1;
  for (const auto& w : next["workloads"])
    if (w["workload"] == "dd1") learned = w["rto_parts"]["capacity_s"].get<double>();
  const json ops = b.Get("/v1/operations?kind=failover");
  std::vector<double> achieved_there;
  for (const auto& op : ops["operations"])
    if (op["target"].is_object() && op["target"].value("provider", "") == "sim-c") achieved_there.push_back(b.Get("/v1/operations/" + op["id"].get<std::string>())["rto"]["achieved"]["capacity_s"].get<double>());
  ASSERT_EQ(achieved_there.size(), 2u);
  std::printf("dd1 -> sim-c: capacity predicted %.1f s after the recovery (achieved there %.1f and %.1f; before, %.1f)\n", learned, achieved_there[0],
              achieved_there[1], predicted["dd3"]["rto_parts"]["capacity_s"].get<double>());
  EXPECT_GE(learned, std::min(achieved_there[0], achieved_there[1]));
}

}  // namespace
}  // namespace icb
