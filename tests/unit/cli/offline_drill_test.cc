// icbroker drill over files (broker/cli/offline_drill.h): a catalog folder
// and workload documents written here, planned with the room the command
// is told and nothing contacted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "broker/cli/offline_drill.h"
#include "broker/orchestrator/drills/readiness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class OfflineDrillTest : public ::testing::Test {
 protected:
  OfflineDrillTest() {
    const std::map<std::string, std::pair<double, std::string>> sims = {
        {"sim-a", {99.95, "127.0.0.11"}}, {"sim-b", {99.9, "127.0.0.12"}}, {"sim-c", {99.5, "127.0.0.13"}}};
    for (const auto& [id, what] : sims) {
      json p = testing::ProviderDoc(id);
      // An address nothing listens on: the drill must not need it.
      p["adapters"] = {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://" + what.second + ":1"}}}}}};
      Write("catalog/providers/" + id + ".json", p);
      json sla = testing::SlaDoc("1", "2026-01-01T00:00:00Z", {{"availability_percent", what.first}, {"scale_minutes", 2}});
      Write("catalog/slas/" + id + "/1.json", sla);
    }
    json dns = testing::ProviderDoc("lab-dns", "SaaS");
    dns["adapters"] = {{"dns", {{"adapter", "powerdns"}, {"config", {{"api_url", "http://127.0.0.1:1"}, {"zone", "lab.example."}}}}}};
    Write("catalog/providers/lab-dns.json", dns);
    Write("catalog/profiles/web.json", {{"id", "web"},
                                        {"constraints", {{"service_models", {"IaaS"}}}},
                                        {"weights", {{"availability", 5}}}});
    Write("workloads/shop.json", Workload(1, 4, "sim-a"));
    Write("workloads/batch.json", Workload(2, 4, "sim-a"));
    Write("workloads/ledger.json", Workload(1, 2, "sim-b"));
  }
  static json Workload(int priority, int instances, const std::string& on) {
    return {{"name", "a workload"}, {"priority", priority}, {"recovery_class", "fast"}, {"profile_id", "web"},
            {"placement", {{"provider", on}}}, {"service", "svc-" + std::to_string(priority) + on + std::to_string(instances)},
            {"instances", instances}, {"rto_s", 600},
            {"dns", {{"provider", "lab-dns"}, {"name", "x" + std::to_string(priority) + on + ".lab.example."}, {"ttl", 5}}},
            {"failover", {{"automatic", true}, {"interval_s", 0.5}, {"failures", 3}, {"recoveries", 2}}}};
  }
  void Write(const std::string& rel, const json& doc) {
    const fs::path p = fs::path(tmp_.path()) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << doc.dump(2);
  }
  OfflineDrillInput Input() {
    OfflineDrillInput in;
    in.catalog_dir = tmp_.path() + "/catalog";
    in.workload_files = *WorkloadFilesIn(tmp_.path() + "/workloads");
    in.providers = {"sim-a"};
    return in;
  }

  testing::TempDir tmp_;
};

TEST_F(OfflineDrillTest, PlansTheRecoveryWithTheRoomItIsToldInPriorityOrder) {
  OfflineDrillInput in = Input();
  in.room = {{"sim-b", 6}, {"sim-c", 3}};
  auto drill = RunOfflineDrill(in);
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  ASSERT_EQ(drill->workloads.size(), 2u) << "sim-a's two; ledger runs on sim-b";
  const DrillWorkload& shop = drill->workloads[0];
  const DrillWorkload& batch = drill->workloads[1];
  EXPECT_EQ(shop.workload, "shop");  // priority 1 first
  EXPECT_EQ(shop.target, "sim-b");    // ranked first, with room for 4 of 6
  EXPECT_EQ(batch.workload, "batch");
  EXPECT_FALSE(batch.target) << "2 left at sim-b, 3 at sim-c: no room for 4";
  EXPECT_FALSE(batch.unplaced_reason.empty());
  // Nothing measured: detection from the settings, capacity from the SLA.
  EXPECT_DOUBLE_EQ(shop.rto_parts.detection_s, 1.5);
  EXPECT_DOUBLE_EQ(shop.rto_parts.capacity_s, 120.0);
  EXPECT_DOUBLE_EQ(shop.rto_parts.dns_s, 5.0);
  EXPECT_TRUE(VerdictOf(shop).ready);
  EXPECT_FALSE(VerdictOf(batch).ready);
}

TEST_F(OfflineDrillTest, UnboundedRoomWhenNoneIsGiven) {
  auto drill = RunOfflineDrill(Input());
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  ASSERT_EQ(drill->workloads.size(), 2u);
  for (const auto& w : drill->workloads) EXPECT_EQ(w.target, "sim-b") << w.workload;
}

TEST_F(OfflineDrillTest, RefusalsNameTheFileOrTheProvider) {
  OfflineDrillInput unknown = Input();
  unknown.providers = {"sim-z"};
  auto no_provider = RunOfflineDrill(unknown);
  ASSERT_FALSE(no_provider.ok());
  EXPECT_EQ(no_provider.status().code(), StatusCode::kNotFound);

  json bad = Workload(1, 1, "sim-q");  // no such provider
  Write("workloads/zz-bad.json", bad);
  auto refused = RunOfflineDrill(Input());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("zz-bad.json"), std::string::npos) << refused.status().ToString();

  Write("workloads/zz-bad.json", json("not a workload"));
  EXPECT_FALSE(RunOfflineDrill(Input()).ok());
  EXPECT_FALSE(WorkloadFilesIn(tmp_.path() + "/nowhere").ok());
}

}  // namespace
}  // namespace icb
