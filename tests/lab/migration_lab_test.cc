// Verified migration through the real binary on the lab: a workload's data
// (mixed object sizes, some in several parts) moves from sim-a's S3 bucket
// to sim-c's while the broker is killed with SIGKILL at random points; each
// restart resumes from the manifest. At the end every object is at the
// target exactly once with the SHA-256 of what was seeded (read back with
// awscli, not by the broker), DNS points at the target (dig), and the
// manifest shows that no verified object was copied again. The first
// move is confirmed: its source copy is deleted (awscli lists none). A
// replicated workload fails over on request back and forth with a delta
// its replica lacks, the broker killed at random points: each target holds
// exactly the source's objects, RPO achieved 0, compute effects once.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/store/embedded_redis.h"
#include "tests/support/eventually.h"
#include "tests/support/broker_process.h"
#include "tests/lab/lab_fixture.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::BrokerProcess;

class MigrationLabTest : public LabFixture {
 protected:
  void SetUp() override {
    LabFixture::SetUp();
    if (HasFatalFailure()) return;
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
  std::string seed_;
};

TEST_F(MigrationLabTest, AWorkloadsDataMovesVerifiedWhileTheBrokerIsKilledAtRandomPoints) {
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  const int redis_port = (*redis)->address().port;
  BrokerProcess b(BrokerArgs(tmp_.path() + "/data", redis_port), tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  std::mt19937 rng(std::random_device{}());
  constexpr int kKills = 20;
  int kills = 0, rounds = 0;
  uint64_t seen_partial = 0;  // progress seen strictly between 0 and the total
  // As many migrations as it takes for the kills to land (a fast machine
  // finishes one between fewer of them).
  while (kills < kKills && rounds < 12) {
    const std::string id = "mig" + std::to_string(rounds++) + "-" + LabEnvironment::RunId();  // objects outlive lab reset
    SCOPED_TRACE(id);
    auto [rc, out] = Aws("s3 cp --recursive --only-show-errors " + seed_ + " s3://sim-a/" + id + "/");
    ASSERT_EQ(rc, 0) << out;
    json w = {{"name", "Workload " + id}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
              {"placement", {{"provider", "sim-a"}}}, {"service", id}, {"instances", 1},
              {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
              {"data", json::array({{{"name", "files"}, {"prefix", id + "/"}}})}, {"failover", {{"automatic", false}}}};
    ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, w.dump()).status, 201);
    // Placed, and its place operation ended (the workload runs a moment before its operation records its end).
    ASSERT_TRUE(testing::Eventually([&] {
      const json wl = b.Get("/v1/workloads/" + id);
      if (wl.value("state", "") != "running" || !wl.value("operation", "").empty() || Dig(id + ".lab.example.") != Address("sim-a")) return false;
      const json places = b.Get("/v1/operations?kind=place&workload=" + id);  // named: a loop over a temporary's member would dangle
      for (const auto& op : places["operations"])
        if (op["state"] != "succeeded") return false;
      return !places["operations"].empty();
    }));
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
    ASSERT_TRUE(testing::Eventually(finished)) << b.Get("/v1/operations/" + op).dump();
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
      EXPECT_TRUE(testing::Eventually([&] { return Aws("s3 ls s3://sim-a/" + id + "/").second.empty(); }, std::chrono::seconds(20)));
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
  const std::string id = "rep-" + LabEnvironment::RunId();  // objects outlive lab reset
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
  ASSERT_TRUE(testing::Eventually([&] { return b.Get("/v1/workloads/" + id).contains("replica"); })) << b.Get("/v1/operations").dump();
  json replica = b.Get("/v1/workloads/" + id)["replica"];
  EXPECT_EQ(replica["provider"], "sim-c");
  // A change, replicated incrementally: a later replication stores just
  // that object's 1,000 bytes (found by its inventory, or by the listing
  // after its copy when the change lands meanwhile).
  ASSERT_EQ(testing::RunShell("head -c 1000 /dev/urandom > " + seed_ + "/obj-0").first, 0);
  ASSERT_EQ(Aws("s3 cp --only-show-errors " + seed_ + "/obj-0 s3://sim-a/" + id + "/obj-0").first, 0);
  ASSERT_TRUE(testing::Eventually([&] {
    auto ops = b.Get("/v1/operations?kind=replication&workload=" + id + "&state=succeeded")["operations"];
    for (const auto& op : ops)
      if (op["request"].contains("previous") && op["steps"][1]["detail"].value("bytes_written", 0) == 1000) return true;
    return false;
  })) << "no incremental replication of the change";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // sim-a goes down: the failover finds the data already at sim-c.
  ASSERT_EQ(testing::RunShell("curl -sf -X PUT " + sim_a + "/v1/state -d '{\"outage\": true}'").first, 0);
  json failover;
  ASSERT_TRUE(testing::Eventually([&] {
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

TEST_F(MigrationLabTest, AFailoverAskedForCopiesTheDeltaOnceWhileTheBrokerIsKilledAtRandomPoints) {
  // A replicated workload moved back and forth between sim-a and sim-c on
  // request (its source answers): each time, new and changed objects that
  // the replica has not got yet are written first, so sync_data copies
  // that delta before the cutover, and the broker is killed with SIGKILL
  // somewhere on the way. Each failover ends with the target holding
  // exactly what the source held (awscli), RPO achieved 0, its compute
  // effects once.
  auto redis = EmbeddedRedis::Start({.data_dir = tmp_.path() + "/redis", .tcp_port = testing::FreeTcpPort()});
  ASSERT_TRUE(redis.ok()) << redis.status().ToString();
  const int redis_port = (*redis)->address().port;
  BrokerProcess b(BrokerArgs(tmp_.path() + "/data", redis_port), tmp_.path() + "/broker.log");
  ASSERT_TRUE(b.Start());
  const std::string id = "delta-" + LabEnvironment::RunId();  // objects outlive lab reset
  auto [rc, out] = Aws("s3 cp --recursive --only-show-errors " + seed_ + " s3://sim-a/" + id + "/");
  ASSERT_EQ(rc, 0) << out;
  json w = {{"name", "Delta shop"}, {"priority", 1}, {"recovery_class", "fast"}, {"profile_id", "lab-web"},
            {"candidates", {"sim-a", "sim-c"}}, {"placement", {{"provider", "sim-a"}}}, {"service", id}, {"instances", 1},
            {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
            {"data", json::array({{{"name", "files"}, {"prefix", id + "/"}}})}, {"rpo_s", 60},
            {"replication", {{"to", "auto"}, {"interval_s", 20}}},
            {"failover", {{"automatic", false}, {"interval_s", 0.2}}}};
  ASSERT_EQ(b.Call("PUT", "/v1/workloads/" + id, w.dump()).status, 201);
  std::mt19937 rng(std::random_device{}());
  // At least 6 failovers, and on until 3 of them copied the delta
  // themselves: a replication that starts between the delta and the
  // failover takes the delta first, and that failover carries it over.
  // Replications are 20 s apart, so the delta and the failover fit between
  // two even on a loaded machine (at 8 s, a CI run with the other lab tests
  // beside it saw 15 of 16 rounds' deltas taken by a replication: the
  // replica's full copy to its new provider and awscli's upload took most
  // of the 8 s).
  constexpr int kMinRounds = 6, kMaxRounds = 16, kDeltaCopies = 3;
  int kills = 0, inside = 0, again = 0, delta_copied = 0, resumed = 0, rounds = 0;
  std::string current = "sim-a", other = "sim-c";
  for (int round = 0; round < kMaxRounds && (round < kMinRounds || delta_copied < kDeltaCopies); ++round) {
    rounds = round + 1;
    SCOPED_TRACE("round " + std::to_string(round) + ": " + current + " -> " + other);
    // The replica is at the other provider, verified since the last move.
    ASSERT_TRUE(testing::Eventually([&] {
      json wl = b.Get("/v1/workloads/" + id);
      return wl.value("state", "") == "running" && wl.contains("replica") && wl["replica"]["provider"] == other && wl.value("operation", "").empty();
    })) << b.Get("/v1/workloads/" + id).dump();
    // The delta: two new objects (one of 12 MiB, in parts) and one changed,
    // written in one awscli run right after a replication (the next is 20 s away).
    const size_t replications = b.Get("/v1/operations?kind=replication&workload=" + id)["operations"].size();
    // Replications started between the delta and this failover (one that
    // starts after it, for the replica at the new placement, takes nothing
    // from it).
    auto replications_before = [&](const std::string& failover) {
      const json ops = b.Get("/v1/operations?kind=replication&workload=" + id);
      const TimePoint asked = *ParseRfc3339(b.Get("/v1/operations/" + failover)["created_at"].get<std::string>());
      size_t n = 0;
      for (const auto& o : ops["operations"]) n += *ParseRfc3339(o["created_at"].get<std::string>()) < asked;
      return n;
    };
    const std::string staged = tmp_.path() + "/delta-" + std::to_string(round);
    std::string cmd = "set -e; mkdir -p " + staged + "; cd " + staged + ";";
    cmd += " head -c " + std::to_string(std::uniform_int_distribution<long>(1, 3 << 20)(rng)) + " /dev/urandom > new-" + std::to_string(round) + "-a;";
    cmd += " head -c " + std::to_string((12 << 20) + round) + " /dev/urandom > new-" + std::to_string(round) + "-b;";
    cmd += " head -c 5000 /dev/urandom > obj-1; cp * " + seed_ + "/";
    ASSERT_EQ(testing::RunShell(cmd).first, 0);
    auto [rc_du, du] = testing::RunShell("cat " + staged + "/* | wc -c");
    ASSERT_EQ(rc_du, 0);
    const long delta_bytes = std::stol(du);
    ASSERT_EQ(Aws("s3 cp --recursive --only-show-errors " + staged + " s3://" + current + "/" + id + "/").first, 0);
    // Asked for (not detected): the source answers, so the delta is copied first.
    std::string op;
    ASSERT_TRUE(testing::Eventually([&] {
      auto r = b.Call("POST", "/v1/workloads/" + id + "/failover", json{{"to", other}}.dump(), "Idempotency-Key: delta-" + std::to_string(round) + "\r\n");
      if (r.status != 202) return false;  // 409 while a replication runs: asked again
      op = json::parse(r.body)["operation"]["id"];
      return true;
    }, std::chrono::seconds(30)));
    auto state = [&] { return b.Get("/v1/operations/" + op).value("state", ""); };
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 1'500'000)(rng)));
    } else {
      // Inside sync_data, while it copies.
      EXPECT_TRUE(testing::Eventually([&] {
        json o = b.Get("/v1/operations/" + op);
        for (const auto& s : o.value("steps", json::array()))
          if (s["name"] == "sync_data" && s["state"] != "pending") return true;
        return o.value("state", "") == "succeeded";
      }, std::chrono::seconds(30)));
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 400'000)(rng)));
    }
    inside += state() != "succeeded";
    b.Kill(SIGKILL);
    ++kills;
    ASSERT_TRUE(b.Start());
    ASSERT_TRUE(testing::Eventually([&] { return state() == "succeeded" || state() == "failed"; })) << b.Get("/v1/operations/" + op).dump();
    json done = b.Get("/v1/operations/" + op);
    ASSERT_EQ(done["state"], "succeeded") << done.dump();
    json sync;
    for (const auto& s : done["steps"]) {
      if (s["name"] == "sync_data") sync = s["detail"];
      again += s["attempts"].get<int>() > 1;
    }
    EXPECT_EQ(sync["source"], "answers") << sync.dump();
    EXPECT_EQ(sync["rpo_achieved_s"], 0) << sync.dump();
    // The delta was copied here, at least the new 12 MiB object (unless a
    // replication started after all and took it first).
    if (replications_before(op) == replications) {
      // The manifest: every object verified with its SHA-256 on both sides;
      // the delta's copied by this failover (a kill in the middle of the
      // large one: resumed from its stored part), the rest carried over
      // from the replica, not copied.
      const int n = sync["delta"]["objects"];
      for (int i = 0; i < n; ++i) {
        auto [rc4, rec] = testing::RunShell("redis-cli -p " + std::to_string(redis_port) + " HGET icb:migration:" + op + ":object:" + std::to_string(i) + " d");
        ASSERT_EQ(rc4, 0);
        json o = json::parse(rec);
        EXPECT_EQ(o["state"], "verified") << rec;
        EXPECT_EQ(o["sha256"], o["target_sha256"]) << rec;
        if (o["key"].get<std::string>().find("/new-" + std::to_string(round) + "-b") != std::string::npos) {
          EXPECT_GE(o["attempts"].get<int>(), 1) << rec;  // copied by this failover
          resumed += o["resumed_parts"].get<int>() > 0;
        }
      }
      // What the finishing broker wrote is at most the delta (the killed
      // one may have written some or all of it).
      EXPECT_LE(sync["delta"].value("bytes_written", 0), delta_bytes) << sync.dump();
      ++delta_copied;
    }
    // Exactly what the source holds, once each, at the target (awscli).
    const std::string back = tmp_.path() + "/back-" + std::to_string(round);
    ASSERT_EQ(Aws("s3 cp --recursive --only-show-errors s3://" + other + "/" + id + "/ " + back).first, 0);
    EXPECT_EQ(Hashes(back), Hashes(seed_));
    auto [rc2, listing] = Aws("s3 ls s3://" + other + "/" + id + "/");
    ASSERT_EQ(rc2, 0);
    EXPECT_EQ(static_cast<size_t>(std::count(listing.begin(), listing.end(), '\n')), Hashes(seed_).size()) << listing;
    // Compute at the target: deployed and scaled up at most once by this
    // failover (once when it arrives there the first time; coming back,
    // what it left running there already is what it asks for).
    auto effects = Effects(id, op, other);
    EXPECT_LE(effects["scale"], 1) << json(effects).dump();
    EXPECT_LE(effects["deploy"], 1) << json(effects).dump();
    if (round == 0) {
      EXPECT_EQ(effects["scale"], 1) << json(effects).dump();
    }
    EXPECT_EQ(Dig(id + ".lab.example."), Address(other));
    EXPECT_EQ(b.Get("/v1/workloads/" + id)["placement"]["provider"], other);
    EXPECT_EQ(b.Get("/v1/operations?kind=failover&workload=" + id)["operations"].size(), static_cast<size_t>(round + 1));
    std::swap(current, other);
  }
  EXPECT_GE(delta_copied, kDeltaCopies);
  RecordProperty("kills", kills);
  std::printf("failover with a delta copy killed at %d random points (%d before it ended), %d steps ran again, the delta copied by %d of %d "
              "(%d large objects resumed from a stored part); every target held the source's objects once\n",
              kills, inside, again, delta_copied, rounds, resumed);
}

}  // namespace
}  // namespace icb
