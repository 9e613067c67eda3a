// Who may do what: the three roles a key carries and the access each route
// declares. A route states its access where it is added (router.h), so a
// route without one does not compile, and the one table below decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace icb {

// Ordered: each role may do all that the ones below it may.
enum class Role {
  kReader,    // reads its tenant's objects and the shared catalog; ranks and compares
  kOperator,  // and acts on its tenant's profiles, workloads and operations
  kAdmin,     // and changes the shared catalog, SLAs, measurements and keys
};

enum class Access {
  kPublic,   // no key: health only (a stranger learns that something answers, nothing of what)
  kRead,     // reader and up
  kOperate,  // operator and up
  kAdmin,    // admin only
};

std::string_view RoleName(Role role);  // "reader", "operator", "admin"
std::optional<Role> ParseRole(std::string_view name);
std::string_view AccessName(Access access);  // "public", "read", "operate", "admin"
bool Permits(Role role, Access access);

// The caller a request was authenticated as.
struct Caller {
  std::string key_id;
  std::string tenant;
  Role role = Role::kReader;
};

}  // namespace icb
