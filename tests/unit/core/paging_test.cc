// Cursor pages of ids: chosen from every id (PageIds), or from one more
// than the page read off a sorted index (PageOfOneMore).
#include "broker/core/paging.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

using Ids = std::vector<std::string>;

TEST(Paging, PageIdsTakesTheFirstAfterTheCursorInOrder) {
  IdPage p = PageIds({"c", "a", "d", "b"}, "", 2);
  EXPECT_EQ(p.ids, (Ids{"a", "b"}));
  EXPECT_EQ(p.next, "b");
  p = PageIds({"c", "a", "d", "b"}, "b", 2);
  EXPECT_EQ(p.ids, (Ids{"c", "d"}));
  EXPECT_FALSE(p.next.has_value());  // exactly the rest
}

TEST(Paging, OneMoreThanThePageOnlySaysAnotherFollows) {
  IdPage p = PageOfOneMore({"a", "b", "c"}, 2);
  EXPECT_EQ(p.ids, (Ids{"a", "b"}));
  EXPECT_EQ(p.next, "b");
  p = PageOfOneMore({"a", "b"}, 2);
  EXPECT_EQ(p.ids, (Ids{"a", "b"}));
  EXPECT_FALSE(p.next.has_value());
  p = PageOfOneMore({}, 2);
  EXPECT_TRUE(p.ids.empty());
  EXPECT_FALSE(p.next.has_value());
}

}  // namespace
}  // namespace icb
