// The catalog's rank evidence memo: computed once per snapshot, generation
// and minute; refreshed in the background so a request finds it fresh and
// never computes it; a new snapshot or generation is computed at once.
#include <gtest/gtest.h>

#include "broker/qos/service.h"

namespace icb {
namespace {

TEST(CatalogMemo, ARefreshWithinTheMinuteKeepsRequestsFromComputing) {
  const TimePoint t0 = *ParseRfc3339("2026-12-01T00:00:00Z");
  auto snapshot = std::make_shared<const CatalogSnapshot>();
  CatalogMemo<int> memo;
  int computed = 0;
  auto compute = [&](const CatalogSnapshot&) -> Result<int> { return ++computed; };
  EXPECT_EQ(**memo.Get(snapshot, 0, t0, compute), 1);
  EXPECT_EQ(**memo.Get(snapshot, 0, t0 + std::chrono::seconds(59), compute), 1);  // within the minute
  // The background refresh at 40 s: a request at 90 s finds it fresh.
  ASSERT_TRUE(memo.Refresh(snapshot, 0, t0 + std::chrono::seconds(40), compute).ok());
  EXPECT_EQ(computed, 2);
  EXPECT_EQ(**memo.Get(snapshot, 0, t0 + std::chrono::seconds(90), compute), 2);
  EXPECT_EQ(computed, 2);
  // Without a refresh the minute runs out: the request computes.
  EXPECT_EQ(**memo.Get(snapshot, 0, t0 + std::chrono::seconds(101), compute), 3);
  // A new generation (an event added) or a new snapshot is computed at once.
  EXPECT_EQ(**memo.Get(snapshot, 1, t0 + std::chrono::seconds(102), compute), 4);
  auto changed = std::make_shared<const CatalogSnapshot>();
  EXPECT_EQ(**memo.Get(changed, 1, t0 + std::chrono::seconds(103), compute), 5);
  // A refresh that fails keeps what was there.
  auto failing = [&](const CatalogSnapshot&) -> Result<int> { return Unavailable("store away"); };
  EXPECT_FALSE(memo.Refresh(changed, 1, t0 + std::chrono::seconds(104), failing).ok());
  EXPECT_EQ(**memo.Get(changed, 1, t0 + std::chrono::seconds(105), compute), 5);
}

}  // namespace
}  // namespace icb
