// Verified copy on the memory fakes: the SHA-256 whose state outlives the
// process, the manifest, one object's copy (whole and in parts), a resume
// that stores no part twice, a target that corrupts what it stores, and a
// source that changes under the copy.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/ports/digest.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/data/verified_copy.h"
#include "tests/support/migration_fixture.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::Bytes;
using testing::CountingTarget;
using testing::PutObject;
using testing::Read;

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

}  // namespace
}  // namespace icb
