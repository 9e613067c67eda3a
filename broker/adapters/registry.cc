#include "broker/adapters/registry.h"

#include <nlohmann/json.hpp>

namespace icb {

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, std::string_view prefix, int page_size) {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    ICB_ASSIGN_OR_RETURN(ObjectPage page, store.List(prefix, token, page_size));
    out.insert(out.end(), page.objects.begin(), page.objects.end());
    token = page.next_token;
  } while (!token.empty());
  return out;
}

Status AdapterRegistry::CheckConfig(const std::string& name, const nlohmann::json& config) const {
  return schemas_.Validate("adapter_" + name + ".json", config);
}

Status AdapterRegistry::Unknown(const char* capability, const std::string& name, const std::vector<std::string>& known) {
  std::string list;
  for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown adapter", {{"/adapter", "no " + std::string(capability) + " adapter \"" + name + "\"; known: " + list}});
}

}  // namespace icb
