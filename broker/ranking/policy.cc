#include "broker/ranking/policy.h"

namespace icb {

const RankingPolicy* PolicyRegistry::Find(std::string_view name) const {
  const auto* found = policies_.Find(name);
  return found ? found->get() : nullptr;
}

std::vector<std::string> PolicyRegistry::Names() const {
  return policies_.Names();
}

Status PolicyRegistry::CheckName(const std::string& name, const std::string& pointer) const {
  if (Find(name)) return Status::Ok();
  std::string known;
  for (const auto& n : Names()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown policy", {{pointer, "unknown policy \"" + name + "\"; known policies: " + known}});
}

}  // namespace icb
