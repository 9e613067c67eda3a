#include "broker/auth/access.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

TEST(AccessTest, EachRoleMayDoWhatTheOnesBelowItMay) {
  // rows: reader, operator, admin; columns: public, read, operate, admin
  const bool expected[3][4] = {{true, true, false, false}, {true, true, true, false}, {true, true, true, true}};
  const Role roles[] = {Role::kReader, Role::kOperator, Role::kAdmin};
  const Access accesses[] = {Access::kPublic, Access::kRead, Access::kOperate, Access::kAdmin};
  for (int r = 0; r < 3; ++r)
    for (int a = 0; a < 4; ++a)
      EXPECT_EQ(Permits(roles[r], accesses[a]), expected[r][a]) << RoleName(roles[r]) << " " << AccessName(accesses[a]);
}

TEST(AccessTest, RoleNamesRoundTripAndNothingElseParses) {
  for (Role r : {Role::kReader, Role::kOperator, Role::kAdmin}) EXPECT_EQ(ParseRole(RoleName(r)), r);
  for (const char* bad : {"", "Admin", "root", "admin ", "operators"}) EXPECT_FALSE(ParseRole(bad)) << bad;
}

}  // namespace
}  // namespace icb
