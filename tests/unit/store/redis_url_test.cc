#include <gtest/gtest.h>

#include "broker/store/redis_store.h"

namespace icb {
namespace {

TEST(RedisUrl, Tcp) {
  auto a = ParseRedisUrl("redis://10.1.2.3:6380/2");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "10.1.2.3");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(ParseRedisUrl("redis://localhost")->port, 6379);
}

TEST(RedisUrl, PasswordIsKeptOutOfToString) {
  auto a = ParseRedisUrl("redis://:s3cret@db.internal:6379");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->password, "s3cret");
  EXPECT_EQ(a->ToString().find("s3cret"), std::string::npos);
}

TEST(RedisUrl, UnixSocket) {
  auto a = ParseRedisUrl("unix:///run/redis/redis.sock?db=1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(a->db, 1);
}

TEST(RedisUrl, RejectsGarbage) {
  EXPECT_FALSE(ParseRedisUrl("http://x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:1").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("unix://relative.sock").ok());
}

}  // namespace
}  // namespace icb
