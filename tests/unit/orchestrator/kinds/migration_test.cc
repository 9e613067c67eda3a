// The `migration` operation on the memory fakes (standalone and a
// workload's planned move) through the orchestrator: every object copied and
// verified, progress and the verified event, refusals at their pointers, a
// failed copy that leaves the workload where it runs, a broker killed at
// every write finishing each object exactly once, and the move's source
// copy retained until confirmed or its retention elapses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/kinds/migration.h"
#include "broker/orchestrator/state/replica.h"
#include "tests/support/fakes/store_wrapper.h"
#include "tests/support/migration_fixture.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabCatalog;
using testing::Bytes;
using testing::CountingTarget;
using testing::DyingStore;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::MigrationTest;
using testing::PutObject;
using testing::Read;
using testing::WorkloadDoc;

TEST_F(MigrationTest, CopiesEveryObjectVerifiesItAndReportsProgressAndTheVerifiedEvent) {
  auto data = Seed("shop/", 12);
  PutObject(adapters_.objects("sim-a"), "other/x", "not copied");
  auto o = Make(*store_);
  MigrationRequest r;
  r.source_provider = "sim-a";
  r.source_prefix = "shop/";
  r.target_provider = "sim-b";
  r.target_prefix = "moved/";
  r.idempotency_key = "m-1";
  auto op = o->StartMigration(r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(o->StartMigration(r)->id, op->id);  // the same key, the same operation
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  std::vector<std::string> steps;
  for (const auto& s : done.steps) steps.push_back(s.name);
  EXPECT_EQ(steps, (std::vector<std::string>{"inventory", "copy", "confirm"}));
  uint64_t bytes = 0;
  for (const auto& [key, bytes_of] : data) {
    EXPECT_EQ(Read(adapters_.objects("sim-b"), "moved/" + key.substr(5)), bytes_of) << key;
    bytes += bytes_of.size();
  }
  EXPECT_FALSE(adapters_.objects("sim-b").Head("moved/x").ok());
  EXPECT_EQ(done.Step("inventory")->detail["objects"], 12);
  EXPECT_EQ(done.Step("confirm")->detail["objects"], 12);
  EXPECT_EQ(done.Step("confirm")->detail["bytes"], bytes);
  auto progress = GetMigrationProgress(*store_, op->id);
  ASSERT_TRUE(progress.ok() && progress->has_value());
  EXPECT_EQ((*progress)->objects_total, 12u);
  EXPECT_EQ((*progress)->objects_done, 12u);
  EXPECT_EQ((*progress)->bytes_done, bytes);
  EXPECT_EQ((*progress)->bytes_written, bytes);
  AuditFilter f;
  f.operation = op->id;
  f.kind = "verified";
  auto events = AuditLog(*store_).Query(f);
  ASSERT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->events[0].inputs["objects"], 12);
  EXPECT_EQ(events->events[0].inputs["sha256_mismatches"], 0);
}

TEST_F(MigrationTest, AnObjectThatNeverVerifiesFailsTheOperationNamingIt) {
  Seed("d/", 3);
  std::shared_ptr<int> corrupt = std::make_shared<int>(0);
  adapters_.wrap_objects = [](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    if (p != "sim-b") return std::make_unique<ObjectStoreWrapper>(s);
    auto t = std::make_unique<CountingTarget>(s);
    t->corrupt_key = "d/obj-1";
    t->corrupt_left = 1000;
    return t;
  };
  auto o = Make(*store_);
  auto op = o->StartMigration({"sim-a", "d/", "sim-b", "d/", "", "", "", std::nullopt});
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  Operation done = Op(op->id);
  EXPECT_EQ(done.state, OperationState::kFailed);
  EXPECT_NE(done.reason.find("d/obj-1"), std::string::npos) << done.reason;
  EXPECT_NE(done.reason.find("no cutover"), std::string::npos) << done.reason;
  EXPECT_EQ(done.Step("confirm")->state, StepState::kPending);
}

TEST_F(MigrationTest, RefusesUnknownProvidersAndOverlappingPrefixesAtTheirPointers) {
  auto o = Make(*store_);
  auto unknown = o->StartMigration({"sim-x", "", "sim-b", "", "", "", "", std::nullopt});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().errors().at(0).pointer, "/source/provider");
  auto no_storage = o->StartMigration({"sim-a", "", "lab-dns", "", "", "", "", std::nullopt});
  EXPECT_EQ(no_storage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(no_storage.status().errors().at(0).pointer, "/target/provider");
  auto overlap = o->StartMigration({"sim-a", "a/", "sim-a", "a/b/", "", "", "", std::nullopt});
  EXPECT_EQ(overlap.status().errors().at(0).pointer, "/target/prefix");
  EXPECT_TRUE(OperationStore(*store_).Page(Scope(TenantSpace::Default(), true), "", 10)->ids.empty());  // refused: nothing changed
}

TEST_F(MigrationTest, AWorkloadsPlannedMoveCopiesItsDataThenCutsOverAndKeepsTheSource) {
  auto data = Seed("shop/", 5);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(GetWorkloadStatus(*store_, "shop")->value().placement, "sim-a");
  MigrationRequest r;
  r.workload = "shop";
  r.to = "sim-c";
  auto op = o->StartMigration(r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(GetWorkloadStatus(*store_, "shop")->value().state, "migrating");
  // One operation per workload at a time.
  EXPECT_EQ(o->StartFailover("shop", {}).status().code(), StatusCode::kFailedPrecondition);
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  std::vector<std::string> steps;
  for (const auto& s : done.steps) steps.push_back(s.name);
  EXPECT_EQ(steps, (std::vector<std::string>{"inventory", "copy", "confirm", "ensure_capacity", "switch_dns", "verify", "drain_source"}));
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-c"), key), bytes);
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-a"), key), bytes);  // kept
  WorkloadStatus s = GetWorkloadStatus(*store_, "shop")->value();
  EXPECT_EQ(s.placement, "sim-c");
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.drained, std::vector<std::string>{"sim-a"});
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.13");
  // The same place again is refused at /to.
  auto again = o->StartMigration(r);
  EXPECT_EQ(again.status().errors().at(0).pointer, "/to");
}

TEST_F(MigrationTest, AFailedCopyLeavesTheWorkloadWhereItRuns) {
  Seed("shop/", 2);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  adapters_.wrap_objects = [](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    if (p != "sim-b") return std::make_unique<ObjectStoreWrapper>(s);
    auto t = std::make_unique<CountingTarget>(s);
    t->corrupt_key = "shop/obj-1";
    t->corrupt_left = 1000;
    return t;
  };
  auto o = Make(*store_);
  Drive(*o);
  auto op = o->StartMigration({"", "", "", "", "shop", "sim-b", "", std::nullopt});
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  EXPECT_EQ(Op(op->id).state, OperationState::kFailed);
  WorkloadStatus s = GetWorkloadStatus(*store_, "shop")->value();
  EXPECT_EQ(s.placement, "sim-a");
  EXPECT_EQ(s.state, "running");
  EXPECT_TRUE(s.operation.empty());
  EXPECT_EQ(adapters_.ARecord("shop.lab.example."), "127.0.0.11");  // never switched
  EXPECT_EQ(adapters_.compute("sim-b").Calls().size(), 0u);         // nothing deployed there
}


TEST_F(MigrationTest, ABrokerKilledAtEveryWriteFinishesWithEveryObjectOnceAndNoPartTwice) {
  // Parts of large objects are recorded one by one: a kill between an
  // upload and its record puts that one upload again (the only repeat there
  // can be); a verified object is never copied again.
  int points = 0;
  for (int kill_after = 1;; ++kill_after) {
    // Each round its own prefix and key in the same stores.
    clock_.Advance(Millis(60'000));
    auto data = Seed("k" + std::to_string(kill_after) + "/", 4);
    const std::string prefix = "k" + std::to_string(kill_after) + "/";
    int repeated = 0;
    auto counter = std::make_shared<std::map<std::string, int>>();
    adapters_.wrap_objects = [counter](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
      struct Counting final : ObjectStoreWrapper {
        Counting(ObjectStore& s, std::shared_ptr<std::map<std::string, int>> c) : ObjectStoreWrapper(s), c_(std::move(c)) {}
        Result<std::string> PutPart(std::string_view k, std::string_view u, int n, std::string_view d) override {
          ++(*c_)["part " + std::string(k) + "#" + std::to_string(n)];
          return ObjectStoreWrapper::PutPart(k, u, n, d);
        }
        icb::Status Put(std::string_view k, ByteSource& s, uint64_t n) override {
          ++(*c_)["whole " + std::string(k)];
          return ObjectStoreWrapper::Put(k, s, n);
        }
        std::shared_ptr<std::map<std::string, int>> c_;
      };
      if (p != "sim-b") return std::make_unique<ObjectStoreWrapper>(s);
      return std::make_unique<Counting>(s, counter);
    };
    DyingStore dying(*store_, kill_after);
    std::string id;
    {
      auto first = Make(dying, "broker-1");
      auto op = first->StartMigration({"sim-a", prefix, "sim-b", prefix, "", "", "key-" + prefix, std::nullopt});
      if (!op.ok()) continue;  // killed before it was recorded: nothing to finish
      id = op->id;
      for (int i = 0; i < 100 && !dying.dead(); ++i) {
        first->runner().Tick();
        if (OperationStore(*store_).Unfinished()->empty()) break;
        clock_.Advance(Millis(250));
      }
    }
    const bool finished_before_kill = !dying.dead();
    if (getenv("ICB_DEBUG_KILL")) {
      Manifest m(*store_, id);
      auto loaded = m.Load();
      if (loaded.ok())
        for (const auto& rec : *loaded) std::cerr << ManifestObjectToJson(rec).dump() << "\n";
    }
    // The broker comes back (same id: it takes its lease back at once).
    auto second = Make(*store_, "broker-1");
    Drive(*second);
    Operation done = Op(id);
    ASSERT_EQ(done.state, OperationState::kSucceeded) << "killed after " << kill_after << " writes: " << done.reason;
    for (const auto& [key, bytes] : data) ASSERT_EQ(Read(adapters_.objects("sim-b"), key), bytes) << key;
    // One copy is in flight when the broker dies (objects go one by one
    // here): at most that one upload, a part or a small object, is repeated.
    for (const auto& [what, n] : *counter) repeated += n - 1;
    EXPECT_LE(repeated, 1) << "killed after " << kill_after << " writes";
    if (repeated > 1) for (const auto& [what, n] : *counter) std::cerr << what << " " << n << "\n";
    ++points;
    if (finished_before_kill) break;
  }
  EXPECT_GE(points, 20);
}


class MigrationApiTest : public testing::ApiOn<MigrationTest> {};

TEST_F(MigrationApiTest, StartsOnceRefusesAtPointersAndShowsProgress) {
  auto data = Seed("web/", 6);
  // Refusals change nothing.
  auto unknown = Call("POST", "/v1/migrations", R"({"source": {"provider": "nope"}, "target": {"provider": "sim-b"}})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Pointer(unknown), "/source/provider");
  auto bad = Call("POST", "/v1/migrations", R"({"source": {"provider": "sim-a"}, "target": {"provider": "Sim B"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Pointer(bad), "/target/provider");
  auto long_prefix = Call("POST", "/v1/migrations", json{{"source", {{"provider", "sim-a"}, {"prefix", std::string(1025, 'p')}}}, {"target", {{"provider", "sim-b"}}}}.dump());
  EXPECT_EQ(long_prefix.status, 400);
  EXPECT_EQ(Pointer(long_prefix), "/source/prefix");
  EXPECT_EQ(Call("POST", "/v1/migrations", "{").status, 400);
  EXPECT_EQ(Call("POST", "/v1/migrations").status, 415);  // no body, no JSON
  EXPECT_EQ(Call("POST", "/v1/migrations", R"({"source": {"provider": "sim-a"}})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/migrations", R"({"source": {"provider": "sim-a"}, "target": {"provider": "lab-dns"}})").status, 400);
  EXPECT_EQ(Call("POST", "/v1/workloads/nope/migrations", R"({"to": "sim-b"})").status, 404);
  EXPECT_TRUE(OperationStore(*store_).Page(Scope(TenantSpace::Default(), true), "", 10)->ids.empty());
  const std::string body = R"({"source": {"provider": "sim-a", "prefix": "web/"}, "target": {"provider": "sim-b", "prefix": "web/"}})";
  auto started = Call("POST", "/v1/migrations", body, {{"idempotency-key", "move-web"}});
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string id = json::parse(started.body)["operation"]["id"];
  EXPECT_EQ(json::parse(Call("POST", "/v1/migrations", body, {{"idempotency-key", "move-web"}}).body)["operation"]["id"], id);
  EXPECT_FALSE(json::parse(Call("GET", "/v1/operations/" + id).body).contains("progress"));  // before the copy
  Drive(*orchestrator_);
  auto op = json::parse(Call("GET", "/v1/operations/" + id).body);
  EXPECT_EQ(op["state"], "succeeded") << op.dump();
  EXPECT_EQ(op["kind"], "migration");
  uint64_t bytes = 0;
  for (const auto& [k, v] : data) bytes += v.size();
  EXPECT_EQ(op["progress"]["objects_total"], 6);
  EXPECT_EQ(op["progress"]["objects_done"], 6);
  EXPECT_EQ(op["progress"]["bytes_done"], bytes);
  EXPECT_EQ(op["progress"]["eta_s"], 0.0);
  auto verified = json::parse(Call("GET", "/v1/events?kind=verified&operation=" + id).body);
  ASSERT_EQ(verified["events"].size(), 1u);
  EXPECT_EQ(verified["events"][0]["inputs"]["objects"], 6);
}


TEST_F(MigrationTest, AMovesSourceCopyIsDeletedWhenItsRetentionElapsesAndKeptWhileTheWorkloadRunsThere) {
  auto data = Seed("shop/", 4);
  PutObject(adapters_.objects("sim-a"), "other/keep", "not the workload's");
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  MigrationRequest r;
  r.workload = "shop";
  r.to = "sim-c";
  r.retention_s = 3600;
  auto op = o->StartMigration(r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  ASSERT_EQ(Op(op->id).state, OperationState::kSucceeded);
  auto retained = GetRetained(*store_, op->id)->value();
  EXPECT_EQ(retained.provider, "sim-a");
  EXPECT_EQ(retained.prefixes, std::vector<std::string>{"shop/"});
  ASSERT_TRUE(retained.delete_after.has_value());
  // Within the retention the copy stays.
  clock_.Advance(Millis(3'599'000));
  EXPECT_EQ(*o->RetireSources(), 0u);
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-a"), key), bytes);
  // Then it goes, and only it; once.
  clock_.Advance(Millis(1'000));
  EXPECT_EQ(*o->RetireSources(), 1u);
  for (const auto& [key, bytes] : data) EXPECT_EQ(adapters_.objects("sim-a").Head(key).status().code(), StatusCode::kNotFound) << key;
  EXPECT_EQ(Read(adapters_.objects("sim-a"), "other/keep"), "not the workload's");
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-c"), key), bytes);  // the moved copy untouched
  retained = GetRetained(*store_, op->id)->value();
  EXPECT_EQ(retained.objects_deleted, 4u);
  EXPECT_TRUE(retained.retired_at.has_value());
  EXPECT_EQ(*o->RetireSources(), 0u);
  AuditFilter f;
  f.kind = "source_retired";
  EXPECT_EQ(AuditLog(*store_).Query(f)->events.size(), 1u);

  // Moved to sim-a with 10 s of retention, and back to sim-c before they
  // are up: the copy that move retains at sim-c is where the workload runs
  // again, so it is kept.
  MigrationRequest back;
  back.workload = "shop";
  back.to = "sim-a";
  back.retention_s = 10;
  auto second = o->StartMigration(back);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Drive(*o);
  ASSERT_EQ(Op(second->id).state, OperationState::kSucceeded);
  MigrationRequest again;
  again.workload = "shop";
  again.to = "sim-c";
  auto third = o->StartMigration(again);  // back to sim-c before the 10 s are up
  ASSERT_TRUE(third.ok());
  Drive(*o);
  ASSERT_EQ(Op(third->id).state, OperationState::kSucceeded);
  clock_.Advance(Millis(10'000));
  EXPECT_EQ(*o->RetireSources(), 1u);
  auto kept = GetRetained(*store_, second->id)->value();
  EXPECT_EQ(kept.objects_deleted, 0u);
  EXPECT_NE(kept.kept.find("runs on sim-c again"), std::string::npos) << kept.kept;
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-c"), key), bytes);
}

TEST_F(MigrationApiTest, AConfirmedMoveDeletesItsSourceCopyAtTheNextPass) {
  auto data = Seed("web/", 3);
  json doc = WorkloadDoc("web");
  doc["data"] = json::array({{{"name", "site"}, {"prefix", "web/"}}});
  ASSERT_TRUE(workloads_.Put("web", doc).ok());
  Drive(*orchestrator_);
  auto started = Call("POST", "/v1/workloads/web/migrations", R"({"to": "sim-b"})", {{"idempotency-key", "move-web"}});
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string id = json::parse(started.body)["operation"]["id"];
  // Not before it succeeded: 409, and nothing changes.
  auto early = Call("POST", "/v1/operations/" + id + "/confirm");
  EXPECT_EQ(early.status, 409) << early.body;
  Drive(*orchestrator_);
  EXPECT_EQ(Call("POST", "/v1/operations/no-such-op/confirm").status, 404);
  auto shown = json::parse(Call("GET", "/v1/operations/" + id).body);
  EXPECT_TRUE(shown["retained"]["delete_after"].is_null());  // no retention_s: until confirmed
  EXPECT_EQ(*orchestrator_->RetireSources(), 0u);
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-a"), key), bytes);
  auto confirmed = Call("POST", "/v1/operations/" + id + "/confirm");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_TRUE(json::parse(confirmed.body)["retained"]["confirmed_at"].is_string());
  EXPECT_EQ(Call("POST", "/v1/operations/" + id + "/confirm").status, 200);  // again: the same
  // Recorded once, with who confirmed (a broker without keys: anonymous).
  const json trail = json::parse(Call("GET", "/v1/events?kind=confirmed&operation=" + id).body);
  ASSERT_EQ(trail["events"].size(), 1u) << trail.dump();
  EXPECT_EQ(trail["events"][0]["actor"], "anonymous");
  EXPECT_EQ(trail["events"][0]["provider"], "sim-a");
  EXPECT_EQ(*orchestrator_->RetireSources(), 1u);
  for (const auto& [key, bytes] : data) EXPECT_EQ(adapters_.objects("sim-a").Head(key).status().code(), StatusCode::kNotFound);
  auto gone = Call("POST", "/v1/operations/" + id + "/confirm");
  EXPECT_EQ(gone.status, 409);
  // A schema violation at its pointer.
  auto bad = Call("POST", "/v1/workloads/web/migrations", R"({"to": "sim-a", "retention_s": -1})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Pointer(bad), "/retention_s");
}

}  // namespace
}  // namespace icb
