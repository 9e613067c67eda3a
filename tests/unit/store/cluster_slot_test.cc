#include "broker/store/cluster_slot.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

// Values from Redis' cluster specification and CLUSTER KEYSLOT on a 7.0
// server; "123456789" is CRC16/XMODEM's check input (0x31C3).
TEST(ClusterSlot, MatchesTheServersMapping) {
  EXPECT_EQ(ClusterSlotOf("123456789"), 0x31C3 % kClusterSlots);
  EXPECT_EQ(ClusterSlotOf("foo"), 12182);
  EXPECT_EQ(ClusterSlotOf("bar"), 5061);
  EXPECT_EQ(ClusterSlotOf("somekey"), 11058);
  EXPECT_EQ(ClusterSlotOf(""), 0);
}

TEST(ClusterSlot, HashesOnlyTheTagWhenThereIsOne) {
  EXPECT_EQ(ClusterSlotOf("{user1000}.following"), ClusterSlotOf("user1000"));
  EXPECT_EQ(ClusterSlotOf("{user1000}.followers"), ClusterSlotOf("{user1000}.following"));
  EXPECT_EQ(ClusterHashPart("icb:qos:d:{aws/web/seoul}:20000"), "aws/web/seoul");
  // Only the first '{' counts, up to the first '}' after it.
  EXPECT_EQ(ClusterHashPart("foo{bar}{zap}"), "bar");
  EXPECT_EQ(ClusterHashPart("foo{{bar}}zap"), "{bar");
  // Empty or unclosed: the whole key.
  EXPECT_EQ(ClusterHashPart("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(ClusterHashPart("foo{bar"), "foo{bar");
}

}  // namespace
}  // namespace icb
