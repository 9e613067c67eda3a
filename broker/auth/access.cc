#include "broker/auth/access.h"

namespace icb {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReader: return "reader";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "reader";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kReader, Role::kOperator, Role::kAdmin})
    if (RoleName(r) == name) return r;
  return std::nullopt;
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kRead: return "read";
    case Access::kOperate: return "operate";
    case Access::kAdmin: return "admin";
  }
  return "admin";
}

bool Permits(Role role, Access access) {
  switch (access) {
    case Access::kPublic:
    case Access::kRead: return true;
    case Access::kOperate: return role == Role::kOperator || role == Role::kAdmin;
    case Access::kAdmin: return role == Role::kAdmin;
  }
  return false;
}

}  // namespace icb
