// The data mover's queue: objects wait their turn most urgent first (the
// priority of the step that started their job), then in order, and a worker
// copies with that priority so its calls queue by it at the providers' gates.
#include "broker/orchestrator/data/data_mover.h"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "broker/core/call_priority.h"
#include "tests/support/eventually.h"
#include "tests/support/fakes/object_store_wrapper.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

// The target's store: records each object put and the priority it was put
// with, and holds the first put until the test lets it go.
class HeldTarget final : public ObjectStoreWrapper {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    int holding = 0;
    std::vector<std::pair<std::string, int>> puts;  // key, CallPriority
  };
  HeldTarget(ObjectStore& target, Shared& shared) : ObjectStoreWrapper(target), s_(shared) {}
  Status Put(std::string_view key, ByteSource& source, uint64_t size) override {
    {
      std::unique_lock lock(s_.mu);
      s_.puts.emplace_back(std::string(key), CallPriority::Current());
      ++s_.holding;
      s_.cv.wait(lock, [&] { return s_.released; });
      --s_.holding;
    }
    return ObjectStoreWrapper::Put(key, source, size);
  }

 private:
  Shared& s_;
};

TEST(DataMover, ObjectsAreCopiedMostUrgentJobFirstThenInOrder) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->AcquireLease("orchestrator", "b", Millis(10000)).ok());
  const Fence fence{"orchestrator", 1};
  testing::FakeAdapters adapters;
  HeldTarget::Shared shared;
  adapters.wrap_objects = [&](const std::string& provider, ObjectStore& s) -> std::unique_ptr<ObjectStore> {
    if (provider == "sim-b") return std::make_unique<HeldTarget>(s, shared);
    return std::make_unique<ObjectStoreWrapper>(s);
  };
  auto job = [&](const std::string& op, const std::vector<std::string>& keys) {
    std::vector<ManifestObject> objects;
    for (const auto& k : keys) {
      StringSource data("bytes of " + k);
      EXPECT_TRUE(adapters.objects("sim-a").Put(k, data, 9 + k.size()).ok());
      ManifestObject o;
      o.index = objects.size();
      o.key = k;
      o.target_key = "copy/" + k;
      o.size = 9 + k.size();
      o.etag = adapters.objects("sim-a").Head(k)->etag;
      objects.push_back(o);
    }
    EXPECT_TRUE(Manifest(*store, op).Replace(objects, fence).ok());
    return objects;
  };
  auto a = job("op-a", {"a1", "a2", "a3"});
  auto b = job("op-b", {"b1", "b2"});
  const ManualClock clock(*ParseRfc3339("2026-12-01T00:00:00Z"));
  DataMover mover(*store, adapters, clock, 1);
  {
    CallPriority urgency(5);
    mover.Start(MoveSpec{"op-a", "sim-a", "sim-b", fence}, a);
  }
  // The one worker holds a1; then a priority-1 job arrives.
  ASSERT_TRUE(testing::Eventually([&] {
    std::lock_guard lock(shared.mu);
    return shared.holding == 1;
  }));
  {
    CallPriority urgency(1);
    mover.Start(MoveSpec{"op-b", "sim-a", "sim-b", fence}, b);
  }
  {
    std::lock_guard lock(shared.mu);
    shared.released = true;
  }
  shared.cv.notify_all();
  ASSERT_TRUE(testing::Eventually([&] {
    auto pa = mover.Poll("op-a"), pb = mover.Poll("op-b");
    return pa && !pa->running && pb && !pb->running;
  }));
  EXPECT_EQ(mover.Poll("op-a")->verified, 3u);
  EXPECT_EQ(mover.Poll("op-b")->verified, 2u);
  std::lock_guard lock(shared.mu);
  EXPECT_EQ(shared.puts, (std::vector<std::pair<std::string, int>>{{"copy/a1", 5}, {"copy/b1", 1}, {"copy/b2", 1}, {"copy/a2", 5}, {"copy/a3", 5}}));
}

}  // namespace
}  // namespace icb
