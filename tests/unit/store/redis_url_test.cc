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

TEST(RedisUrl, SentinelsAndTheMasterName) {
  auto a = ParseRedisUrl("sentinel://:pw@10.0.0.1:26380,sentinel-b,10.0.0.3:26381/icbroker/2");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->sentinels.size(), 3u);
  EXPECT_EQ(a->sentinels[0].host, "10.0.0.1");
  EXPECT_EQ(a->sentinels[0].port, 26380);
  EXPECT_EQ(a->sentinels[1].host, "sentinel-b");
  EXPECT_EQ(a->sentinels[1].port, 26379);  // Sentinel's own default
  EXPECT_EQ(a->sentinels[2].port, 26381);
  EXPECT_EQ(a->master_name, "icbroker");
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->ToString(), "sentinel://10.0.0.1:26380,sentinel-b:26379,10.0.0.3:26381/icbroker/2");
  EXPECT_EQ(ParseRedisUrl("sentinel://127.0.0.1:1/m")->db, 0);
}

TEST(RedisUrl, ClusterNodes) {
  auto a = ParseRedisUrl("cluster://:pw@10.0.0.1:7000,node-b,10.0.0.3:7002");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->cluster_nodes.size(), 3u);
  EXPECT_EQ(a->cluster_nodes[0].host, "10.0.0.1");
  EXPECT_EQ(a->cluster_nodes[0].port, 7000);
  EXPECT_EQ(a->cluster_nodes[1].port, 6379);
  EXPECT_EQ(a->password, "pw");
  EXPECT_EQ(a->ToString(), "cluster://10.0.0.1:7000,node-b:6379,10.0.0.3:7002");
  EXPECT_EQ(DefaultReplicaAcks(*a), 0);
  EXPECT_TRUE(ParseRedisUrl("cluster://127.0.0.1:7000/").ok());
}

TEST(RedisUrl, RejectsGarbage) {
  EXPECT_FALSE(ParseRedisUrl("cluster://a:1/2").ok());      // a cluster has database 0 only
  EXPECT_FALSE(ParseRedisUrl("cluster://a:1,,b:2").ok());   // an empty node
  EXPECT_FALSE(ParseRedisUrl("cluster://").ok());
  EXPECT_FALSE(ParseRedisUrl("sentinel://127.0.0.1:26379").ok());   // no master name
  EXPECT_FALSE(ParseRedisUrl("sentinel://127.0.0.1:26379/").ok());  // empty master name
  EXPECT_FALSE(ParseRedisUrl("sentinel://a:1,,b:2/m").ok());        // an empty Sentinel
  EXPECT_FALSE(ParseRedisUrl("sentinel://a:1/m/x").ok());           // db not a number
  EXPECT_FALSE(ParseRedisUrl("redis://h/2x").ok());
  EXPECT_FALSE(ParseRedisUrl("http://x").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://:1").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://h:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("unix://relative.sock").ok());
}

}  // namespace
}  // namespace icb
