#include "broker/auth/tenant_space.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

TEST(TenantSpaceTest, ATenantsIdsCarryItsNameAndTheDefaultTenantsAreAsTheyWere) {
  const TenantSpace acme = TenantSpace::OfTenant("acme");
  EXPECT_EQ(acme.prefix(), "acme~");
  EXPECT_EQ(acme.Scoped("web"), "acme~web");
  EXPECT_TRUE(TenantSpace::OfTenant("default").is_default());
  EXPECT_EQ(TenantSpace::Default().Scoped("web"), "web");
  EXPECT_EQ(TenantSpace::Of("acme~web"), acme);
  EXPECT_TRUE(TenantSpace::Of("web").is_default());
  EXPECT_TRUE(TenantSpace::Of("~recovery-1").is_broker());
  EXPECT_TRUE(acme.Holds("acme~web"));
  EXPECT_FALSE(acme.Holds("acmex~web"));
  EXPECT_FALSE(acme.Holds("web"));
}

TEST(TenantSpaceTest, EachSpaceHasItsOwnIndexKey) {
  EXPECT_EQ(TenantSpace::Default().IndexKey("icb:workloads:ids"), "icb:workloads:ids");
  EXPECT_EQ(TenantSpace::OfTenant("acme").IndexKey("icb:workloads:ids"), "icb:t:acme:workloads:ids");
  EXPECT_EQ(TenantSpace::Broker().IndexKey("icb:operations:ids"), "icb:t::operations:ids");
}

TEST(TenantSpaceTest, UnscopeTakesTheTenantsPrefixOutOfItsIdsOnly) {
  const TenantSpace acme = TenantSpace::OfTenant("acme");
  EXPECT_EQ(acme.Unscope(R"({"id":"acme~web","operation":"acme~failover-1"})"), R"({"id":"web","operation":"failover-1"})");
  EXPECT_EQ(acme.Unscope("/v1/workloads/acme~web"), "/v1/workloads/web");
  EXPECT_EQ(acme.Unscope("no workload acme~web; see acme~x"), "no workload web; see x");
  // Another tenant's whose name ends in ours, and the broker's, stay.
  EXPECT_EQ(acme.Unscope("xacme~web big-acme~w ~recovery-1"), "xacme~web big-acme~w ~recovery-1");
  EXPECT_EQ(acme.Unscope(""), "");
  EXPECT_EQ(acme.Unscope("acme~"), "");
  EXPECT_EQ(TenantSpace::Default().Unscope("acme~web"), "acme~web");
}

TEST(TenantSpaceTest, AScopeNamesOnlyItsOwnAndTheBrokersWhenItSeesThem) {
  const Scope reader(TenantSpace::OfTenant("acme"), false);
  EXPECT_EQ(reader.Stored("web"), "acme~web");
  EXPECT_EQ(reader.Stored("bee~web"), std::nullopt);
  EXPECT_EQ(reader.Stored("acme~web"), std::nullopt);  // ids a client sends never carry a space
  EXPECT_EQ(reader.Stored("~recovery-1"), std::nullopt);
  EXPECT_TRUE(reader.Sees("acme~web"));
  EXPECT_FALSE(reader.Sees("web"));
  EXPECT_FALSE(reader.Sees("bee~web"));
  EXPECT_FALSE(reader.Sees("~recovery-1"));

  const Scope admin(TenantSpace::OfTenant("acme"), true);
  EXPECT_EQ(admin.Stored("~recovery-1"), "~recovery-1");
  EXPECT_EQ(admin.Stored("~bee~web"), std::nullopt);
  EXPECT_TRUE(admin.Sees("~recovery-1"));
  EXPECT_EQ(admin.Spaces().size(), 2u);

  const Scope default_tenant(TenantSpace::Default(), false);
  EXPECT_EQ(default_tenant.Stored("web"), "web");
  EXPECT_EQ(default_tenant.Stored("acme~web"), std::nullopt);
  EXPECT_TRUE(default_tenant.Sees("web"));
  EXPECT_FALSE(default_tenant.Sees("acme~web"));
}

}  // namespace
}  // namespace icb
