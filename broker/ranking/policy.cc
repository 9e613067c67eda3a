#include "broker/ranking/policy.h"

namespace icb {

void PolicyRegistry::Register(std::string name, Factory factory) { policies_[std::move(name)] = factory(); }

const RankingPolicy* PolicyRegistry::Find(std::string_view name) const {
  auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : it->second.get();
}

std::vector<std::string> PolicyRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : policies_) out.push_back(name);
  return out;
}

Status PolicyRegistry::CheckName(const std::string& name, const std::string& pointer) const {
  if (Find(name)) return Status::Ok();
  std::string known;
  for (const auto& n : Names()) known += (known.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown policy", {{pointer, "unknown policy \"" + name + "\"; known policies: " + known}});
}

}  // namespace icb
