// Verified migration through the real binary on the lab: a workload's data
// (mixed object sizes, some in several parts) moves from sim-a's S3 bucket
// to sim-c's while the broker is killed with SIGKILL at random points; each
// restart resumes from the manifest. At the end every object is at the
// target exactly once with the SHA-256 of what was seeded (read back with
// awscli, not by the broker), DNS points at the target (dig), and the
// manifest shows that no verified object was copied again. The first
// move is confirmed: its source copy is deleted (awscli lists none).
#include <gtest/gtest.h>

#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "broker/store/embedded_redis.h"
#include "tests/integration/broker_process.h"
#include "tests/integration/lab_environment.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::BrokerProcess;

class MigrationLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = LabEnvironment::Lab();
    ASSERT_NE(lab_, nullptr) << LabEnvironment::UpOutput();
    seed_ = tmp_.path() + "/seed";
    // 24 objects, 96 MiB: small, a few MiB, and four of 12-20 MiB that go
    // up in 8 MiB parts.
    std::string cmd = "set -e; mkdir -p " + seed_ + "; cd " + seed_ + ";";
    std::mt19937 rng(7);
    for (int i = 0; i < 24; ++i) {
      long bytes = i < 8 ? std::uniform_int_distribution<long>(1, 200 << 10)(rng)
                         : i < 20 ? std::uniform_int_distribution<long>(1 << 20, 6 << 20)(rng) : std::uniform_int_distribution<long>(12 << 20, 20 << 20)(rng);
      cmd += " head -c " + std::to_string(bytes) + " /dev/urandom > obj-" + std::to_string(i) + ";";
    }
    auto [rc, out] = testing::RunShell(cmd);
    ASSERT_EQ(rc, 0) << out;
    ASSERT_EQ(Aws("s3 mb s3://sim-a").first == 0 || Aws("s3 ls s3://sim-a").first == 0, true);
  }
  std::pair<int, std::string> Aws(const std::string& args) {
    const auto& s3 = (*lab_)["s3"];
    return testing::RunShell("env -u AWS_CA_BUNDLE AWS_ACCESS_KEY_ID=" + s3["access_key"].get<std::string>() + " AWS_SECRET_ACCESS_KEY=" +
                             s3["secret_key"].get<std::string>() + " AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url " +
                             s3["endpoint"].get<std::string>() + " " + args + " 2>&1");
  }
  // key -> SHA-256 of every file under `dir`.
  std::map<std::string, std::string> Hashes(const std::string& dir) {
    auto [rc, out] = testing::RunShell("cd " + dir + " && find . -type f | sort | xargs sha256sum");
    std::map<std::string, std::string> h;
    std::istringstream in(out);
    for (std::string sum, name; in >> sum >> name;) h[name.substr(2)] = sum;
    return h;
  }
  std::string Dig(const std::string& name) {
    auto [rc, out] = testing::RunShell("dig +short +time=1 +tries=2 @127.0.0.1 -p " + std::to_string((*lab_)["dns"]["port"].get<int>()) + " " + name + " A");
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  std::string Address(const std::string& provider) {
    for (const auto& sim : (*lab_)["compute"])
      if (sim["provider"] == provider) return sim["address"];
    return "";
  }
  template <typename Pred>
  bool Eventually(Pred done, int tries = 3000) {
    for (int i = 0; i < tries; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  const json* lab_ = nullptr;
  testing::TempDir tmp_;
  std::string seed_;
};

TEST_F(MigrationLabTest, AWorkloadsDataMovesVerifiedWhileTheBrokerIsKilledAtRandomPoints) {
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  const int redis_port = (*redis)->address().port;
  const std::string dir = LabEnvironment::Dir();
  BrokerProcess b({"--data-dir", tmp_.path() + "/data", "--catalog", dir + "/catalog", "--credentials", dir + "/credentials.json", "--broker-id",
                   "lab-broker", "--redis", "redis://127.0.0.1:" + std::to_string(redis_port)},
                  tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  std::mt19937 rng(std::random_device{}());
  constexpr int kKills = 20;
  int kills = 0, rounds = 0;
  uint64_t seen_partial = 0;  // progress seen strictly between 0 and the total
  // As many migrations as it takes for the kills to land (a fast machine
  // finishes one between fewer of them).
  while (kills < kKills && rounds < 12) {
    const std::string id = "mig" + std::to_string(rounds++);
    SCOPED_TRACE(id);
    auto [rc, out] = Aws("s3 cp --recursive --only-show-errors " + seed_ + " s3://sim-a/" + id + "/");
    ASSERT_EQ(rc, 0) << out;
    json w = {{"name", "Workload " + id}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
              {"placement", {{"provider", "sim-a"}}}, {"service", id}, {"instances", 1},
              {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
              {"data", json::array({{{"name", "files"}, {"prefix", id + "/"}}})}, {"failover", {{"automatic", false}}}};
    ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, w.dump()).status, 201);
    ASSERT_TRUE(Eventually([&] { return b.Get("/v1/workloads/" + id).value("state", "") == "running" && Dig(id + ".lab.example.") == Address("sim-a"); }));
    auto started = b.Call("POST", "/v1/workloads/" + id + "/migrations", R"({"to": "sim-c"})", "Idempotency-Key: move-" + id + "\r\n");
    ASSERT_EQ(started.status, 202) << started.body;
    const std::string op = json::parse(started.body)["operation"]["id"];
    auto finished = [&] {
      auto o = b.Call("GET", "/v1/operations/" + op);
      if (o.status != 200) return false;
      auto j = json::parse(o.body);
      if (j.contains("progress")) {
        uint64_t done = j["progress"]["bytes_done"], total = j["progress"]["bytes_total"];
        if (done > 0 && done < total) seen_partial = done;
      }
      return j["state"] == "succeeded" || j["state"] == "failed";
    };
    // Killed at random points until it ends (or the kills are spent).
    while (kills < kKills && !finished()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 1500)(rng)));
      if (finished()) break;
      b.Kill(SIGKILL);
      ++kills;
      ASSERT_TRUE(b.Start());
    }
    ASSERT_TRUE(Eventually(finished)) << b.Get("/v1/operations/" + op).dump();
    json done = b.Get("/v1/operations/" + op);
    ASSERT_EQ(done["state"], "succeeded") << done.dump();
    // Every object at the target exactly once, with the seeded SHA-256 (awscli reads it back).
    const std::string back = tmp_.path() + "/back-" + id;
    auto [rc2, out2] = Aws("s3 cp --recursive --only-show-errors s3://sim-c/" + id + "/ " + back);
    ASSERT_EQ(rc2, 0) << out2;
    auto [rc3, listing] = Aws("s3 ls s3://sim-c/" + id + "/");
    ASSERT_EQ(rc3, 0);
    EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), 24) << listing;
    EXPECT_EQ(Hashes(back), Hashes(seed_));
    EXPECT_EQ(Dig(id + ".lab.example."), Address("sim-c"));
    json workload = b.Get("/v1/workloads/" + id);
    EXPECT_EQ(workload["placement"]["provider"], "sim-c");
    EXPECT_EQ(done["progress"]["objects_done"], 24);
    // The manifest: every object verified, its SHA-256 on both sides; copies
    // started again only for objects in flight when a kill came.
    int again = 0, resumed = 0;
    for (int i = 0; i < 24; ++i) {
      auto [rc4, rec] = testing::RunShell("redis-cli -p " + std::to_string(redis_port) + " HGET icb:migration:" + op + ":object:" + std::to_string(i) + " d");
      ASSERT_EQ(rc4, 0);
      json o = json::parse(rec);
      EXPECT_EQ(o["state"], "verified") << rec;
      EXPECT_EQ(o["sha256"], o["target_sha256"]);
      again += o["attempts"].get<int>() - 1;
      resumed += o["resumed_parts"].get<int>() > 0;
    }
    std::printf("%s: %d kills so far; %d copies started again, %d large objects resumed from a stored part\n", id.c_str(), kills, again, resumed);
    EXPECT_LE(again, kills * 4);  // at most the four in flight per kill
    auto verified = b.Get("/v1/events?kind=verified&operation=" + op)["events"];
    ASSERT_EQ(verified.size(), 1u);
    EXPECT_EQ(verified[0]["inputs"]["objects"], 24);
    // The source's copy is kept until the move is confirmed; then it goes
    // (awscli lists the prefix empty), and the moved copy stays.
    auto [rc5, kept] = Aws("s3 ls s3://sim-a/" + id + "/");
    EXPECT_EQ(std::count(kept.begin(), kept.end(), '\n'), 24) << kept;
    if (rounds == 1) {
      auto confirmed = b.Call("POST", "/v1/operations/" + op + "/confirm");
      ASSERT_EQ(confirmed.status, 200) << confirmed.body;
      EXPECT_TRUE(Eventually([&] { return Aws("s3 ls s3://sim-a/" + id + "/").second.empty(); }, 1000));
      EXPECT_EQ(b.Get("/v1/operations/" + op)["retained"]["objects_deleted"], 24);
      auto [rc6, moved] = Aws("s3 ls s3://sim-c/" + id + "/");
      EXPECT_EQ(std::count(moved.begin(), moved.end(), '\n'), 24) << moved;
    }
  }
  EXPECT_GE(kills, kKills);
  EXPECT_GT(seen_partial, 0u);  // progress was visible while it copied
  RecordProperty("kills", kills);
}


TEST_F(MigrationLabTest, AReplicatedWorkloadFailsOverWithItsDataAtTheTargetAndItsRpoReported) {
  const std::string dir = LabEnvironment::Dir();
  BrokerProcess b({"--data-dir", tmp_.path() + "/data", "--catalog", dir + "/catalog", "--credentials", dir + "/credentials.json"},
                  tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  const std::string id = "rep";
  auto [rc, out] = Aws("s3 cp --recursive --only-show-errors " + seed_ + " s3://sim-a/" + id + "/");
  ASSERT_EQ(rc, 0) << out;
  std::string sim_a;
  for (const auto& sim : (*lab_)["compute"])
    if (sim["provider"] == "sim-a") sim_a = sim["url"];
  // Its best failover target is sim-c (the only other candidate): `auto` replicates there.
  json w = {{"name", "Replicated shop"}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
            {"candidates", {"sim-a", "sim-c"}}, {"placement", {{"provider", "sim-a"}}}, {"service", id}, {"instances", 1},
            {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
            {"data", json::array({{{"name", "files"}, {"prefix", id + "/"}}})}, {"rpo_s", 60},
            {"replication", {{"to", "auto"}, {"interval_s", 2}}},
            {"failover", {{"automatic", true}, {"interval_s", 0.2}, {"failures", 3}, {"recoveries", 2}}}};
  ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, w.dump()).status, 201);
  ASSERT_TRUE(Eventually([&] { return b.Get("/v1/workloads/" + id).contains("replica"); })) << b.Get("/v1/operations").dump();
  json replica = b.Get("/v1/workloads/" + id)["replica"];
  EXPECT_EQ(replica["provider"], "sim-c");
  // A change, replicated incrementally: a later replication stores just
  // that object's 1,000 bytes (found by its inventory, or by the listing
  // after its copy when the change lands meanwhile).
  ASSERT_EQ(testing::RunShell("head -c 1000 /dev/urandom > " + seed_ + "/obj-0").first, 0);
  ASSERT_EQ(Aws("s3 cp --only-show-errors " + seed_ + "/obj-0 s3://sim-a/" + id + "/obj-0").first, 0);
  ASSERT_TRUE(Eventually([&] {
    auto ops = b.Get("/v1/operations?kind=replication&workload=" + id + "&state=succeeded")["operations"];
    for (const auto& op : ops)
      if (op["request"].contains("previous") && op["steps"][1]["detail"].value("bytes_written", 0) == 1000) return true;
    return false;
  })) << "no incremental replication of the change";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // sim-a goes down: the failover finds the data already at sim-c.
  ASSERT_EQ(testing::RunShell("curl -sf -X PUT " + sim_a + "/v1/state -d '{\"outage\": true}'").first, 0);
  json failover;
  ASSERT_TRUE(Eventually([&] {
    auto ops = b.Get("/v1/operations?kind=failover&workload=" + id)["operations"];
    if (ops.empty() || ops[0]["state"] != "succeeded") return false;
    failover = ops[0];
    return true;
  })) << b.Get("/v1/operations?workload=" + id).dump();
  (void)testing::RunShell("curl -sf -X PUT " + sim_a + "/v1/state -d '{\"outage\": false}'");
  EXPECT_EQ(failover["target"]["provider"], "sim-c");
  json sync;
  for (const auto& s : failover["steps"])
    if (s["name"] == "sync_data") sync = s["detail"];
  EXPECT_EQ(sync["replica"]["provider"], "sim-c") << sync.dump();
  EXPECT_TRUE(sync["rpo_met"].get<bool>()) << sync.dump();
  const double achieved = sync["rpo_achieved_s"].get<double>();
  EXPECT_GE(achieved, 0.0);
  EXPECT_LT(achieved, 60.0);
  std::printf("failover with replication: RPO achieved %.1f s (replica at sim-c, interval 2 s, RPO 60 s)\n", achieved);
  // The data at the target is what the source held at the replica's moment (awscli).
  const std::string back = tmp_.path() + "/back-rep";
  ASSERT_EQ(Aws("s3 cp --recursive --only-show-errors s3://sim-c/" + id + "/ " + back).first, 0);
  EXPECT_EQ(Hashes(back), Hashes(seed_));
  EXPECT_EQ(Dig(id + ".lab.example."), Address("sim-c"));
}

}  // namespace
}  // namespace icb
