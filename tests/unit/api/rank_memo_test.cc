#include "broker/api/rank_memo.h"

#include <gtest/gtest.h>

#include "broker/core/time.h"

namespace icb {
namespace {

using std::chrono::milliseconds;

class RankAnswerMemoTest : public ::testing::Test {
 protected:
  TimePoint t0_ = *ParseRfc3339("2026-12-05T00:00:00Z");
  RankBasis basis_{std::make_shared<CatalogSnapshot>(), std::make_shared<int>(1), nullptr, nullptr};
};

TEST_F(RankAnswerMemoTest, AnIdenticalRequestOnTheSameBasisWithinReuseIsAnsweredFromTheMemo) {
  RankAnswerMemo memo(milliseconds(1000));
  EXPECT_FALSE(memo.Find("{\"profile_id\":\"a\"}", basis_, t0_));
  memo.Keep("{\"profile_id\":\"a\"}", basis_, t0_, "answer-a");
  EXPECT_EQ(memo.Find("{\"profile_id\":\"a\"}", basis_, t0_ + milliseconds(999)), "answer-a");
  // Other bytes are another request, even if they mean the same.
  EXPECT_FALSE(memo.Find("{ \"profile_id\":\"a\"}", basis_, t0_));
}

TEST_F(RankAnswerMemoTest, ReuseEndsAtItsLimitAndBeforeTheAnswerWasComputed) {
  RankAnswerMemo memo(milliseconds(1000));
  memo.Keep("r", basis_, t0_, "x");
  EXPECT_FALSE(memo.Find("r", basis_, t0_ - milliseconds(1)));  // a clock that went back: computed "later"
  memo.Keep("r", basis_, t0_, "x");
  EXPECT_FALSE(memo.Find("r", basis_, t0_ + milliseconds(1000)));
  EXPECT_EQ(memo.size(), 0u);  // an expired answer is dropped when found so
}

TEST_F(RankAnswerMemoTest, ANewSnapshotOrNewEvidenceIsNeverAnsweredFromAnOldOne) {
  RankAnswerMemo memo(milliseconds(1000));
  memo.Keep("r", basis_, t0_, "x");
  RankBasis new_catalog = basis_;
  new_catalog.snapshot = std::make_shared<CatalogSnapshot>();
  EXPECT_FALSE(memo.Find("r", new_catalog, t0_));
  memo.Keep("r", basis_, t0_, "x");
  for (int which = 0; which < 3; ++which) {
    RankBasis refreshed = basis_;
    (which == 0 ? refreshed.measured : which == 1 ? refreshed.credits : refreshed.observations) = std::make_shared<int>(2);
    EXPECT_FALSE(memo.Find("r", refreshed, t0_)) << which;
    memo.Keep("r", basis_, t0_, "x");
  }
  EXPECT_EQ(memo.Find("r", basis_, t0_), "x");
}

TEST_F(RankAnswerMemoTest, KeepsAtMostItsCapacityLeastRecentlyUsedGoingFirstAndNoOversizedAnswer) {
  RankAnswerMemo memo(milliseconds(1000), 2, 8);
  memo.Keep("a", basis_, t0_, "1");
  memo.Keep("b", basis_, t0_, "2");
  EXPECT_TRUE(memo.Find("a", basis_, t0_));  // b is now the least recently used
  memo.Keep("c", basis_, t0_, "3");
  EXPECT_EQ(memo.size(), 2u);
  EXPECT_FALSE(memo.Find("b", basis_, t0_));
  EXPECT_EQ(memo.Find("a", basis_, t0_), "1");
  EXPECT_EQ(memo.Find("c", basis_, t0_), "3");
  memo.Keep("d", basis_, t0_, "123456789");  // over 8 bytes: not kept
  EXPECT_FALSE(memo.Find("d", basis_, t0_));
  // Keeping drops what expired, so old snapshots are not held alive.
  memo.Keep("e", basis_, t0_ + milliseconds(1500), "5");
  EXPECT_EQ(memo.size(), 1u);
}

TEST_F(RankAnswerMemoTest, NoReuseKeepsNothing) {
  RankAnswerMemo memo(milliseconds(0));
  EXPECT_FALSE(memo.enabled());
  memo.Keep("r", basis_, t0_, "x");
  EXPECT_FALSE(memo.Find("r", basis_, t0_));
  EXPECT_EQ(memo.size(), 0u);
}

}  // namespace
}  // namespace icb
