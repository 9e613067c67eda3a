// Verified migration on the memory fakes: the SHA-256 whose state outlives
// the process, the manifest, one object's copy (whole and in parts), a
// resume that stores no part twice, a target that corrupts what it stores,
// a source that changes under the copy, and the `migration` operation
// (standalone and a workload's planned move) through the orchestrator,
// with a broker killed at every write finishing each object exactly once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/adapters/digest.h"
#include "broker/api/api.h"
#include "broker/orchestrator/manifest.h"
#include "broker/orchestrator/migration_kind.h"
#include "broker/orchestrator/replication.h"
#include "broker/orchestrator/verified_copy.h"
#include "broker/store/store_wrapper.h"
#include "tests/unit/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::AddLabCatalog;
using testing::DyingStore;
using testing::FakeAdapters;
using testing::FakeProbes;
using testing::WorkloadDoc;

// Deterministic bytes of any length, different per seed.
std::string Bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u ^ seed;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

void PutObject(ObjectStore& store, const std::string& key, const std::string& data) {
  StringSource src(data);
  ASSERT_TRUE(store.Put(key, src, data.size()).ok());
}

std::string Read(ObjectStore& store, const std::string& key) {
  std::string out;
  Status s = store.Get(key, [&](std::string_view c) {
    out.append(c);
    return Status::Ok();
  });
  return s.ok() ? out : "<" + s.ToString() + ">";
}

TEST(Sha256Stream, KnownVectorsAndAStateThatSurvivesSaveAndRestore) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string data = Bytes(10'000, 1);
  // Saved at a part boundary and at an odd offset (bytes still buffered).
  for (size_t cut : {size_t{0}, size_t{1024}, size_t{1000}, size_t{63}, size_t{9999}}) {
    Sha256Stream a;
    a.Update(std::string_view(data).substr(0, cut));
    auto b = Sha256Stream::Restore(a.Save());
    ASSERT_TRUE(b.has_value()) << cut;
    EXPECT_EQ(b->size(), cut);
    b->Update(std::string_view(data).substr(cut));
    EXPECT_EQ(b->FinalHex(), Sha256Hex(data)) << cut;
  }
  EXPECT_FALSE(Sha256Stream::Restore("").has_value());
  EXPECT_FALSE(Sha256Stream::Restore("s1:zz").has_value());
  Sha256Stream c;
  std::string saved = c.Save();
  EXPECT_FALSE(Sha256Stream::Restore(saved + "00").has_value());  // buffered bytes beyond the count
}

TEST(Manifest, ReplaceIsIdempotentAndAppendAddsAtTheEnd) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->AcquireLease("orchestrator", "b", Millis(10000))->has_value());
  Fence fence{"orchestrator", 1};
  Manifest m(*store, "op-1");
  EXPECT_TRUE(m.Load()->empty());
  std::vector<ManifestObject> objects(3);
  for (size_t i = 0; i < 3; ++i) {
    objects[i].key = "k" + std::to_string(i);
    objects[i].target_key = "t/k" + std::to_string(i);
    objects[i].size = i * 10;
  }
  ASSERT_TRUE(m.Replace(objects, fence).ok());
  auto again = objects;
  ASSERT_TRUE(m.Replace(again, fence).ok());  // an inventory run again writes the same
  auto loaded = *m.Load();
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[2].key, "k2");
  EXPECT_EQ(loaded[2].size, 20u);
  // A shorter listing removes the records beyond it.
  std::vector<ManifestObject> two(objects.begin(), objects.begin() + 2);
  ASSERT_TRUE(m.Replace(two, fence).ok());
  EXPECT_EQ(m.Load()->size(), 2u);
  EXPECT_FALSE(store->GetVersioned(m.ObjectKey(2))->has_value());
  std::vector<ManifestObject> added(1);
  added[0].key = "new";
  ASSERT_TRUE(m.Append(added, 2, fence).ok());
  EXPECT_EQ(added[0].index, 2u);
  EXPECT_EQ(m.Load()->at(2).key, "new");
  EXPECT_EQ(m.Append(added, 2, fence).code(), StatusCode::kAborted);  // counted from a stale length
  // A stale epoch writes nothing.
  loaded = *m.Load();
  loaded[0].state = ObjectCopyState::kVerified;
  EXPECT_EQ(m.Write(loaded[0], Fence{"orchestrator", 0}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.Load()->at(0).state, ObjectCopyState::kPending);
}

// Counts the target's part uploads and whole puts, per key; can fail the
// n-th part upload, and corrupt what it stores for one key.
class CountingTarget final : public ObjectStoreWrapper {
 public:
  using ObjectStoreWrapper::ObjectStoreWrapper;
  Result<std::string> PutPart(std::string_view k, std::string_view u, int n, std::string_view d) override {
    if (fail_part_at >= 0 && parts_put == fail_part_at) {
      fail_part_at = -1;
      return Unavailable("connection reset");
    }
    ++parts_put;
    ++part_puts[std::string(k) + "#" + std::to_string(n)];
    bytes += d.size();
    if (corrupt_left > 0 && k == corrupt_key) {
      --corrupt_left;
      std::string bad(d);
      bad[bad.size() / 2] ^= 1;
      return ObjectStoreWrapper::PutPart(k, u, n, bad);
    }
    return ObjectStoreWrapper::PutPart(k, u, n, d);
  }
  Status Put(std::string_view k, ByteSource& s, uint64_t n) override {
    ++whole_puts[std::string(k)];
    bytes += n;
    if (corrupt_left > 0 && k == corrupt_key) {
      --corrupt_left;
      std::string data;
      ICB_RETURN_IF_ERROR(ReadExactly(s, n, data));
      if (!data.empty()) data[0] ^= 1;
      StringSource bad(data);
      return ObjectStoreWrapper::Put(k, bad, n);
    }
    return ObjectStoreWrapper::Put(k, s, n);
  }
  Status CompleteParts(std::string_view k, std::string_view u, const std::vector<std::string>& tags) override {
    ++completes;
    return ObjectStoreWrapper::CompleteParts(k, u, tags);
  }
  int fail_part_at = -1;
  int parts_put = 0;
  int completes = 0;
  std::string corrupt_key;
  int corrupt_left = 0;
  uint64_t bytes = 0;
  std::map<std::string, int> part_puts, whole_puts;
};

class VerifiedCopyTest : public ::testing::Test {
 protected:
  VerifiedCopyTest()
      : store_(NewMemoryStore()), source_(NewMemoryObjectStore(300)), target_base_(NewMemoryObjectStore(300, 1024)), target_(*target_base_) {
    (void)store_->AcquireLease("orchestrator", "b", Millis(10000));
  }
  ManifestObject Entry(const std::string& key) {
    auto info = *source_->Head(key);
    ManifestObject o;
    o.key = key;
    o.target_key = "copy/" + key;
    o.size = info.size;
    o.etag = info.etag;
    std::vector<ManifestObject> one{o};
    EXPECT_TRUE(manifest_.Replace(one, fence_).ok());
    return one[0];
  }
  CopyHooks Hooks() {
    CopyHooks h;
    h.save = [this](ManifestObject& o) { return manifest_.Write(o, fence_); };
    return h;
  }
  std::unique_ptr<Store> store_;
  Fence fence_{"orchestrator", 1};
  Manifest manifest_{*store_, "op-1"};
  std::unique_ptr<ObjectStore> source_, target_base_;
  CountingTarget target_;
};

TEST_F(VerifiedCopyTest, SmallAndLargeObjectsAreCopiedAndVerifiedBySha256OnBothSides) {
  const std::string small = Bytes(700, 2), large = Bytes(5 * 1024 + 17, 3), empty;
  PutObject(*source_, "small", small);
  PutObject(*source_, "large", large);
  PutObject(*source_, "empty", empty);
  for (const auto& [key, data] : {std::pair{"small", small}, std::pair{"large", large}, std::pair{"empty", empty}}) {
    ManifestObject o = Entry(key);
    ASSERT_TRUE(CopyVerified(*source_, target_, o, Hooks()).ok()) << key;
    EXPECT_EQ(o.state, ObjectCopyState::kVerified) << key << ": " << o.error;
    EXPECT_EQ(o.sha256, Sha256Hex(data));
    EXPECT_EQ(o.target_sha256, o.sha256);
    EXPECT_EQ(Read(*target_base_, std::string("copy/") + key), data);
    EXPECT_TRUE(o.upload.empty());
    EXPECT_EQ(manifest_.Load()->at(0).state, ObjectCopyState::kVerified);  // durable
  }
  EXPECT_EQ(target_.parts_put, 6);  // the large one in 6 parts of 1 KiB
  EXPECT_EQ(target_.whole_puts.size(), 2u);
}

TEST_F(VerifiedCopyTest, AnInterruptedLargeObjectResumesFromItsLastStoredPart) {
  const std::string data = Bytes(8 * 1024, 4);
  PutObject(*source_, "big", data);
  ManifestObject o = Entry("big");
  target_.fail_part_at = 5;  // parts 1-5 stored, then the connection goes
  Status first = CopyVerified(*source_, target_, o, Hooks());
  EXPECT_EQ(first.code(), StatusCode::kUnavailable);
  // The record says how far it got (as a broker that restarts reads it).
  ManifestObject resumed = manifest_.Load()->at(0);
  EXPECT_EQ(resumed.parts.size(), 5u);
  EXPECT_FALSE(resumed.upload.empty());
  EXPECT_FALSE(resumed.hash_state.empty());
  ASSERT_TRUE(CopyVerified(*source_, target_, resumed, Hooks()).ok());
  EXPECT_EQ(resumed.state, ObjectCopyState::kVerified) << resumed.error;
  EXPECT_EQ(resumed.sha256, Sha256Hex(data));
  EXPECT_EQ(Read(*target_base_, "copy/big"), data);
  // Every part went up exactly once: 8 KiB stored for 8 KiB of object.
  EXPECT_EQ(target_.part_puts.size(), 8u);
  for (const auto& [part, n] : target_.part_puts) EXPECT_EQ(n, 1) << part;
  EXPECT_EQ(target_.bytes, data.size());
}

TEST_F(VerifiedCopyTest, AnUploadCompletedJustBeforeACrashIsNotCompletedAgain) {
  const std::string data = Bytes(4 * 1024, 8);
  PutObject(*source_, "big", data);
  ManifestObject o = Entry("big");
  // The record as a crash right after the upload's completion leaves it:
  // every part stored, not yet verified (what the copy saves after that is
  // lost with the process).
  std::optional<ManifestObject> at_crash;
  CopyHooks hooks = Hooks();
  hooks.save = [&](ManifestObject& m) {
    if (at_crash) return Status::Ok();
    Status saved = manifest_.Write(m, fence_);
    if (m.parts.size() == 4) at_crash = m;
    return saved;
  };
  ASSERT_TRUE(CopyVerified(*source_, target_, o, hooks).ok());
  ASSERT_TRUE(at_crash.has_value());
  EXPECT_EQ(target_.completes, 1);
  ManifestObject resumed = *at_crash;
  Status st = CopyVerified(*source_, target_, resumed, Hooks());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resumed.state, ObjectCopyState::kVerified) << resumed.error;
  EXPECT_EQ(target_.completes, 1);  // checked first, not asked again
  EXPECT_EQ(target_.parts_put, 4);
  EXPECT_EQ(Read(*target_base_, "copy/big"), data);
  // Every part stored but the completion lost with the crash: completed now.
  PutObject(*source_, "other", Bytes(4 * 1024, 9));
  ManifestObject p = Entry("other");
  std::optional<ManifestObject> before_complete;
  hooks.save = [&](ManifestObject& m) {
    if (m.parts.size() == 4 && !before_complete) {
      before_complete = m;
      return Unavailable("killed");
    }
    return manifest_.Write(m, fence_);
  };
  EXPECT_FALSE(CopyVerified(*source_, target_, p, hooks).ok());
  ManifestObject again = *before_complete;
  ASSERT_TRUE(CopyVerified(*source_, target_, again, Hooks()).ok());
  EXPECT_EQ(again.state, ObjectCopyState::kVerified) << again.error;
  EXPECT_EQ(target_.completes, 2);
  EXPECT_EQ(Read(*target_base_, "copy/other"), Bytes(4 * 1024, 9));
}

TEST_F(VerifiedCopyTest, ACorruptedCopyIsCaughtAndCopiedAgainAndThreeFailTheObject) {
  const std::string data = Bytes(3000, 5);
  PutObject(*source_, "obj", data);
  ManifestObject o = Entry("obj");
  target_.corrupt_key = "copy/obj";
  target_.corrupt_left = 1;  // the first copy arrives damaged
  ASSERT_TRUE(CopyVerified(*source_, target_, o, Hooks()).ok());
  EXPECT_EQ(o.state, ObjectCopyState::kVerified);
  EXPECT_EQ(o.tries, 1);  // one mismatch, copied again
  EXPECT_EQ(Read(*target_base_, "copy/obj"), data);
  // Damaged every time: after three copies the object fails, naming both hashes.
  PutObject(*source_, "bad", Bytes(500, 6));
  ManifestObject b = Entry("bad");
  target_.corrupt_key = "copy/bad";
  target_.corrupt_left = 100;
  ASSERT_TRUE(CopyVerified(*source_, target_, b, Hooks()).ok());
  EXPECT_EQ(b.state, ObjectCopyState::kFailed);
  EXPECT_EQ(b.tries, kMaxCopyTries);
  EXPECT_EQ(target_.whole_puts["copy/bad"], kMaxCopyTries);
  EXPECT_NE(b.error.find("SHA-256 differs: source " + Sha256Hex(Bytes(500, 6))), std::string::npos) << b.error;
}

// Writes a new version of the object the first time the copy reads it.
class ChangingSource final : public ObjectStoreWrapper {
 public:
  ChangingSource(ObjectStore& s, std::string key, std::string next) : ObjectStoreWrapper(s), key_(std::move(key)), next_(std::move(next)) {}
  Status Get(std::string_view k, const ByteSink& sink) override {
    Status st = ObjectStoreWrapper::Get(k, sink);
    if (k == key_ && !next_.empty()) {
      PutObject(target(), key_, next_);
      next_.clear();
    }
    return st;
  }

 private:
  std::string key_, next_;
};

TEST_F(VerifiedCopyTest, AnObjectChangedAtTheSourceDuringTheCopyIsCopiedAgainAndAVanishedOneIsRecorded) {
  PutObject(*source_, "doc", "version 1");
  ManifestObject o = Entry("doc");
  ChangingSource changing(*source_, "doc", "version 2, longer");
  ASSERT_TRUE(CopyVerified(changing, target_, o, Hooks()).ok());
  EXPECT_EQ(o.state, ObjectCopyState::kVerified);
  EXPECT_EQ(o.changes, 1);
  EXPECT_EQ(Read(*target_base_, "copy/doc"), "version 2, longer");
  EXPECT_EQ(o.sha256, Sha256Hex("version 2, longer"));
  // Listed, then deleted before its copy.
  PutObject(*source_, "gone", "x");
  ManifestObject g = Entry("gone");
  ASSERT_TRUE(source_->Delete("gone").ok());
  ASSERT_TRUE(CopyVerified(*source_, target_, g, Hooks()).ok());
  EXPECT_EQ(g.state, ObjectCopyState::kVanished);
}

// --- the operation ---

class MigrationTest : public ::testing::Test {
 protected:
  MigrationTest()
      : clock_(*ParseRfc3339("2026-12-01T00:00:00Z")),
        store_(NewMemoryStore(&clock_)),
        catalog_(*store_, *SchemaSet::LoadEmbedded()),
        workloads_(catalog_, *store_, clock_) {
    RegisterBuiltinPolicies(policies_);
    AddLabCatalog(catalog_);
  }
  std::unique_ptr<Orchestrator> Make(Store& store, const std::string& broker = "broker-1") {
    WorkloadKindDeps deps{store, catalog_, adapters_, probes_, policies_, nullptr, clock_, Millis(1000)};
    OrchestratorOptions options{broker, Millis(3000), Millis(5000)};
    options.transfers = 0;  // copied inside the step's poll: deterministic
    return std::make_unique<Orchestrator>(deps, options);
  }
  void Drive(Orchestrator& o, int rounds = 200) {
    for (int i = 0; i < rounds; ++i) {
      (void)o.Reconcile();
      o.runner().Tick();
      if (o.runner().operations().Unfinished()->empty()) return;
      clock_.Advance(Millis(250));
    }
  }
  // Mixed sizes under `prefix` at sim-a: empty, small, several parts.
  std::map<std::string, std::string> Seed(const std::string& prefix, int n) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < n; ++i) {
      std::string key = prefix + "obj-" + std::to_string(i);
      std::string data = Bytes(static_cast<size_t>((i * 1777) % 6000), static_cast<unsigned>(i + 10));
      PutObject(adapters_.objects("sim-a"), key, data);
      out[key] = data;
    }
    return out;
  }
  Operation Op(const std::string& id) { return OperationStore(*store_).Get(id)->value(); }

  ManualClock clock_;
  std::unique_ptr<Store> store_;
  Catalog catalog_;
  WorkloadCatalog workloads_;
  PolicyRegistry policies_;
  FakeAdapters adapters_;
  FakeProbes probes_;
};

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
  EXPECT_TRUE(OperationStore(*store_).All()->empty());  // refused: nothing changed
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
        Status Put(std::string_view k, ByteSource& s, uint64_t n) override {
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
  EXPECT_TRUE(OperationStore(*store_).All()->empty());
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


TEST_F(MigrationTest, ReplicationKeepsAnIncrementalWarmCopyAndRaisesItsLagOnce) {
  auto data = Seed("shop/", 6);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 30}};
  doc["rpo_s"] = 45;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto whole_puts = std::make_shared<int>(0);
  adapters_.wrap_objects = [whole_puts](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    struct Counting final : ObjectStoreWrapper {
      Counting(ObjectStore& s, std::shared_ptr<int> n) : ObjectStoreWrapper(s), n_(std::move(n)) {}
      Status Put(std::string_view k, ByteSource& src, uint64_t n) override {
        ++*n_;
        return ObjectStoreWrapper::Put(k, src, n);
      }
      Result<std::string> StartParts(std::string_view k) override {
        ++*n_;
        return ObjectStoreWrapper::StartParts(k);
      }
      std::shared_ptr<int> n_;
    };
    if (p != "sim-b") return std::make_unique<ObjectStoreWrapper>(s);
    return std::make_unique<Counting>(s, whole_puts);
  };
  auto o = Make(*store_);
  Drive(*o);  // placed on sim-a
  EXPECT_FALSE(json::parse(*workloads_.Get("shop")).contains("replica"));  // none yet
  const TimePoint first = clock_.Now();
  ASSERT_EQ(*o->Replicate(), 1u);
  EXPECT_EQ(*o->Replicate(), 0u);  // one at a time
  Drive(*o);
  for (const auto& [key, bytes] : data) EXPECT_EQ(Read(adapters_.objects("sim-b"), key), bytes);
  EXPECT_EQ(*whole_puts, 6);
  auto replica = GetReplica(*store_, "shop")->value();
  EXPECT_EQ(replica.provider, "sim-b");
  EXPECT_EQ(replica.verified_at, first);  // the moment its inventory listed the source
  EXPECT_TRUE(replica.running.empty());
  // The workload shows it, with its lag; a replication never claims the workload.
  clock_.Advance(Millis(10'000));
  json shown = json::parse(*workloads_.Get("shop"));
  EXPECT_EQ(shown["replica"]["provider"], "sim-b");
  EXPECT_EQ(shown["state"], "running");
  EXPECT_FALSE(shown.contains("operation"));
  EXPECT_NEAR(shown["replica"]["lag_s"].get<double>(), 10 + 0.25 * 4, 3);
  EXPECT_EQ(*o->Replicate(), 0u);  // not due yet (30 s)
  // One object changes and one is added: the next replication copies those two.
  PutObject(adapters_.objects("sim-a"), "shop/obj-3", "changed");
  PutObject(adapters_.objects("sim-a"), "shop/new", "new object");
  clock_.Advance(Millis(25'000));
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  EXPECT_EQ(*whole_puts, 8);
  EXPECT_EQ(Read(adapters_.objects("sim-b"), "shop/obj-3"), "changed");
  EXPECT_EQ(Read(adapters_.objects("sim-b"), "shop/new"), "new object");
  auto ops = OperationStore(*store_).OfWorkload("shop");
  std::string second;
  for (const auto& id : *ops)
    if (Op(id).kind == "replication" && Op(id).request.contains("previous")) second = id;
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(Op(second).Step("inventory")->detail["unchanged"]["objects"], 5);
  // No replication finishes for a while (the runner does not tick): past the RPO, one event.
  auto before = GetReplica(*store_, "shop")->value();
  clock_.Advance(Millis(50'000));
  (void)o->Replicate();
  (void)o->Replicate();
  AuditFilter f;
  f.kind = "rpo_exceeded";
  auto events = AuditLog(*store_).Query(f);
  ASSERT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->events[0].workload, "shop");
  EXPECT_EQ(events->events[0].provider, "sim-b");
  EXPECT_GT(events->events[0].inputs["lag_s"].get<double>(), 45);
  EXPECT_EQ(GetReplica(*store_, "shop")->value().verified_at, before.verified_at);
}

TEST_F(MigrationTest, AFailoverToTheReplicaReportsTheRpoAchieved) {
  Seed("shop/", 3);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "auto"}, {"interval_s", 600}};
  doc["rpo_s"] = 60;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  auto replica = GetReplica(*store_, "shop")->value();
  EXPECT_EQ(replica.provider, "sim-b");  // auto: the best failover target now
  clock_.Advance(Millis(20'000));
  probes_.down.insert("127.0.0.11");
  FailoverRequest r;
  r.trigger = "automatic";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  EXPECT_EQ(done.target, "sim-b");
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_EQ(sync["replica"]["provider"], "sim-b");
  EXPECT_TRUE(sync["copied"].get<bool>());
  const double achieved = sync["rpo_achieved_s"].get<double>();
  EXPECT_GE(achieved, 20.0);
  EXPECT_LE(achieved, 22.0);
  EXPECT_TRUE(sync["rpo_met"].get<bool>());
  EXPECT_EQ(sync["data_loss_window"]["from"], FormatRfc3339(*replica.verified_at));
}

TEST_F(MigrationTest, AFailoverWhoseSourceAnswersCopiesTheDeltaSinceTheReplicaFirst) {
  auto seeded = Seed("shop/", 4);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 600}};
  doc["rpo_s"] = 60;
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  ASSERT_TRUE(GetReplica(*store_, "shop")->value().verified_at.has_value());
  // After the replica: one new object, one changed.
  const std::string added = Bytes(3000, 77), changed = Bytes(2500, 78);
  PutObject(adapters_.objects("sim-a"), "shop/new", added);
  PutObject(adapters_.objects("sim-a"), "shop/obj-1", changed);
  FailoverRequest r;
  r.to = "sim-b";
  r.reason = "planned maintenance at sim-a";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_TRUE(sync["copied"].get<bool>());
  EXPECT_EQ(sync["source"], "answers");
  EXPECT_EQ(sync["rpo_achieved_s"], 0);
  EXPECT_EQ(sync["delta"]["objects"], 5);
  EXPECT_EQ(sync["delta"]["verified"], 5);
  EXPECT_EQ(sync["delta"]["bytes_written"], added.size() + changed.size());  // only the delta went over
  seeded["shop/new"] = added;
  seeded["shop/obj-1"] = changed;
  for (const auto& [key, data] : seeded) EXPECT_EQ(Read(adapters_.objects("sim-b"), key), data) << key;
}

TEST_F(MigrationTest, AFailoverWhoseSourceDoesNotAnswerReportsTheReplicasWindow) {
  Seed("shop/", 2);
  json doc = WorkloadDoc("shop");
  doc["data"] = json::array({{{"name", "uploads"}, {"prefix", "shop/"}}});
  doc["replication"] = {{"to", "sim-b"}, {"interval_s", 600}};
  ASSERT_TRUE(workloads_.Put("shop", doc).ok());
  auto o = Make(*store_);
  Drive(*o);
  ASSERT_EQ(*o->Replicate(), 1u);
  Drive(*o);
  // sim-a's storage is gone with it: listing it fails.
  struct Down final : ObjectStoreWrapper {
    using ObjectStoreWrapper::ObjectStoreWrapper;
    Result<ObjectPage> List(std::string_view, std::string_view, int) override { return Unavailable("connection refused"); }
  };
  adapters_.wrap_objects = [](const std::string& p, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    if (p == "sim-a") return std::make_unique<Down>(s);
    return std::make_unique<ObjectStoreWrapper>(s);
  };
  FailoverRequest r;
  r.to = "sim-b";
  auto op = o->StartFailover("shop", r);
  ASSERT_TRUE(op.ok());
  Drive(*o);
  Operation done = Op(op->id);
  ASSERT_EQ(done.state, OperationState::kSucceeded) << done.reason;
  const json& sync = done.Step("sync_data")->detail;
  EXPECT_EQ(sync["replica"]["provider"], "sim-b");
  EXPECT_TRUE(sync.contains("data_loss_window"));
  EXPECT_NE(sync["source"].get<std::string>().find("does not answer"), std::string::npos) << sync.dump();
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
