// Adapters by name and capability. Each registers a factory and the JSON
// Schema of its configuration (schemas/adapter_NAME.json); a configuration is
// checked against it before the adapter is built. Filled in one place:
// RegisterBuiltinAdapters() in adapters/register.cc.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/adapters/http_calls.h"
#include "broker/adapters/object_store.h"
#include "broker/schema/validator.h"

namespace icb {

enum class Capability { kObjectStorage, kDns, kTrafficSplit, kCompute };

// What an adapter is built with.
struct AdapterContext {
  HttpClient& http;
  const Clock& clock;  // request dates for signatures
  Sleeper sleep;       // between retries
};

class AdapterRegistry {
 public:
  using ObjectStoreFactory = std::function<Result<std::unique_ptr<ObjectStore>>(const nlohmann::json& config, AdapterContext& ctx)>;

  explicit AdapterRegistry(const SchemaSet& schemas) : schemas_(schemas) {}

  void RegisterObjectStore(std::string name, ObjectStoreFactory factory);
  // Validates `config` against schemas/adapter_NAME.json, then builds.
  Result<std::unique_ptr<ObjectStore>> NewObjectStore(const std::string& name, const nlohmann::json& config, AdapterContext& ctx) const;
  std::vector<std::string> Names(Capability c) const;

 private:
  Status CheckConfig(const std::string& name, const nlohmann::json& config) const;
  const SchemaSet& schemas_;
  std::map<std::string, ObjectStoreFactory> object_stores_;
};

// Defined in adapters/register.cc.
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace icb
