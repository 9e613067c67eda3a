#include "broker/auth/rate_limiter.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

TEST(RateLimiterTest, AKeyHasItsBurstThenItsRateAndOthersAreUntouched) {
  ManualClock clock(TimePoint{});
  RateLimiter limiter(clock, {2, 3});  // 2 a second, 3 at once
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a"), std::nullopt) << i;
  EXPECT_EQ(limiter.Take("a"), Millis(500));  // one token at 2 a second
  EXPECT_EQ(limiter.Take("b"), std::nullopt);  // another key: its own bucket
  clock.Advance(Millis(250));
  EXPECT_EQ(limiter.Take("a"), Millis(250));
  clock.Advance(Millis(250));
  EXPECT_EQ(limiter.Take("a"), std::nullopt);
  EXPECT_EQ(limiter.Take("a"), Millis(500));
  // A long pause refills up to the burst, not beyond.
  clock.Advance(Millis(60'000));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a"), std::nullopt) << i;
  EXPECT_NE(limiter.Take("a"), std::nullopt);
}

TEST(RateLimiterTest, ZeroIsNoLimit) {
  ManualClock clock(TimePoint{});
  RateLimiter limiter(clock, {0, 0});
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(limiter.Take("a"), std::nullopt);
}

}  // namespace
}  // namespace icb
