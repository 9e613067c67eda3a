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

void AdapterRegistry::RegisterObjectStore(std::string name, ObjectStoreFactory factory) {
  object_stores_[std::move(name)] = std::move(factory);
}

Status AdapterRegistry::CheckConfig(const std::string& name, const nlohmann::json& config) const {
  return schemas_.Validate("adapter_" + name + ".json", config);
}

Result<std::unique_ptr<ObjectStore>> AdapterRegistry::NewObjectStore(const std::string& name, const nlohmann::json& config,
                                                                     AdapterContext& ctx) const {
  auto it = object_stores_.find(name);
  if (it == object_stores_.end()) {
    std::string known;
    for (const auto& [n, f] : object_stores_) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown adapter", {{"/adapter", "no object storage adapter \"" + name + "\"; known: " + known}});
  }
  ICB_RETURN_IF_ERROR(CheckConfig(name, config));
  return it->second(config, ctx);
}

std::vector<std::string> AdapterRegistry::Names(Capability c) const {
  std::vector<std::string> out;
  if (c == Capability::kObjectStorage)
    for (const auto& [n, f] : object_stores_) out.push_back(n);
  return out;
}

}  // namespace icb
