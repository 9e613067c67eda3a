// One suite every Store implementation passes (the in-memory fake in the unit
// tests, Redis in the integration tests). Instantiate with a factory:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreConformance, MemoryFactory);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "broker/store/store.h"

namespace icb {

template <typename Factory>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override { store_ = factory_.Make(); }
  Factory factory_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreConformance);

TYPED_TEST_P(StoreConformance, PingAndEmptyReads) {
  Store& s = *this->store_;
  EXPECT_TRUE(s.Ping().ok());
  auto v = s.HashGet("h", "f");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  EXPECT_TRUE(s.HashGetAll("h")->empty());
  EXPECT_EQ(*s.GetCounter("c"), 0);
}

TYPED_TEST_P(StoreConformance, BatchResultsPerOp) {
  Store& s = *this->store_;
  WriteBatch b;
  b.HashSet("h", "a", "1").HashSet("h", "a", "2").HashSetIfAbsent("h", "b", "x").HashSetIfAbsent("h", "b", "y").Incr("c").Incr("c");
  auto r = s.Apply(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<long long>{1, 0, 1, 0, 1, 2}));
  EXPECT_EQ(**s.HashGet("h", "a"), "2");
  EXPECT_EQ(**s.HashGet("h", "b"), "x");
  EXPECT_EQ(*s.GetCounter("c"), 2);
}

TYPED_TEST_P(StoreConformance, BinarySafeValues) {
  Store& s = *this->store_;
  std::string value("a\0b\r\n\xff", 6);
  WriteBatch b;
  b.HashSet("h", "k ey/ü", value);
  ASSERT_TRUE(s.Apply(b).ok());
  EXPECT_EQ(**s.HashGet("h", "k ey/ü"), value);
  auto all = *s.HashGetAll("h");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].second, value);
}

TYPED_TEST_P(StoreConformance, AppendUniqueKeepsTheFirstRecordPerMember) {
  Store& s = *this->store_;
  std::string rec1("\x01\x00r1", 4), rec2("\x02\x00r2", 4), dup("\x09\x00XX", 4);
  auto r = s.AppendUnique({{"seen", "data", {{"10", rec1}, {"20", rec2}}}}, {{"series", "a"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 2);
  // A retry, with a changed record for member 10 and one new member.
  EXPECT_EQ(*s.AppendUnique({{"seen", "data", {{"10", dup}, {"30", rec1}}}}, {{"series", "a"}, {"series", "b"}}), 1);
  auto values = *s.GetMany({"data", "absent"});
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(*values[0], rec1 + rec2 + rec1);
  EXPECT_FALSE(values[1].has_value());
  auto members = *s.SetMembers("series");
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.SetMembers("nothing")->empty());
  EXPECT_TRUE(s.GetMany({})->empty());
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformance, PingAndEmptyReads, BatchResultsPerOp, BinarySafeValues,
                            AppendUniqueKeepsTheFirstRecordPerMember);

}  // namespace icb
