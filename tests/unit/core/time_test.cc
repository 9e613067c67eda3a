#include <gtest/gtest.h>

#include "broker/core/time.h"

namespace icb {
namespace {

using namespace std::chrono;

TEST(Rfc3339, ParsesUtcAndOffsets) {
  auto t = ParseRfc3339("2026-11-01T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count(), 1793491200000LL);  // date -d 2026-11-01T00:00:00Z +%s = 1793491200
  EXPECT_EQ(ParseRfc3339("2026-11-01T09:00:00+09:00"), t);
  EXPECT_EQ(ParseRfc3339("2026-10-31T19:30:00-04:30"), t);
  EXPECT_EQ(ParseRfc3339("2026-11-01t00:00:00z"), t);
}

TEST(Rfc3339, KeepsMilliseconds) {
  auto t = ParseRfc3339("2026-11-01T00:00:00.25Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count() % 1000, 250);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-01T00:00:00.250Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-01T00:00:00.999999Z")), "2026-11-01T00:00:00.999Z");
}

TEST(Rfc3339, RejectsImpossibleDatesAndJunk) {
  EXPECT_FALSE(ParseRfc3339("2026-02-29T00:00:00Z"));  // 2026 is not a leap year
  EXPECT_TRUE(ParseRfc3339("2028-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-31T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-01T24:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-01T00:00:00"));   // no offset
  EXPECT_FALSE(ParseRfc3339("2026-11-01 00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-11-01T00:00:00Zjunk"));
  EXPECT_FALSE(ParseRfc3339("2026-11-01T00:00:00.Z"));
  EXPECT_FALSE(ParseRfc3339(""));
}

TEST(Rfc3339, RoundTrips) {
  for (const char* s : {"1999-12-31T23:59:59Z", "2027-03-01T00:00:00Z", "2026-10-31T23:50:00Z"}) {
    EXPECT_EQ(FormatRfc3339(*ParseRfc3339(s)), s);
  }
}

TEST(MonthWindow, UtcMonthsHaveTheirLengths) {
  auto feb = MonthWindow("2027-02", "UTC");
  ASSERT_TRUE(feb.ok());
  EXPECT_EQ(FormatRfc3339(feb->from), "2027-02-01T00:00:00Z");
  EXPECT_EQ((feb->to - feb->from), std::chrono::hours(24 * 28));
  EXPECT_EQ((MonthWindow("2028-02", "UTC")->to - MonthWindow("2028-02", "UTC")->from), std::chrono::hours(24 * 29));
  EXPECT_EQ(FormatRfc3339(MonthWindow("2026-12", "UTC")->to), "2027-01-01T00:00:00Z");
}

TEST(MonthWindow, NamedTimeZone) {
  // Korea is UTC+9 without daylight saving: November starts at 15:00 UTC on October 31.
  auto nov = MonthWindow("2026-11", "Asia/Seoul");
  ASSERT_TRUE(nov.ok()) << nov.status().ToString();
  EXPECT_EQ(FormatRfc3339(nov->from), "2026-10-31T15:00:00Z");
  EXPECT_EQ(FormatRfc3339(nov->to), "2026-11-30T15:00:00Z");
  // Berlin: March 2027 starts in winter time (UTC+1) and ends in summer time (UTC+2): 31 days less one hour.
  auto mar = MonthWindow("2027-03", "Europe/Berlin");
  ASSERT_TRUE(mar.ok());
  EXPECT_EQ(FormatRfc3339(mar->from), "2027-02-28T23:00:00Z");
  EXPECT_EQ(FormatRfc3339(mar->to), "2027-03-31T22:00:00Z");
}

TEST(MonthWindow, RejectsBadInput) {
  EXPECT_FALSE(MonthWindow("2026-13", "UTC").ok());
  EXPECT_FALSE(MonthWindow("2026-1", "UTC").ok());
  EXPECT_FALSE(MonthWindow("2026-11", "Mars/Olympus").ok());
  EXPECT_FALSE(MonthWindow("2026-11", "../../etc/passwd").ok());
}

}  // namespace
}  // namespace icb
