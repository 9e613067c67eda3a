// Adapters by capability and name. Each registers a factory; its configuration
// is checked against schemas/adapter_NAME.json before it is built. Filled in
// one place: RegisterBuiltinAdapters() in adapters/register.cc.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/adapters/compute.h"
#include "broker/adapters/dns.h"
#include "broker/adapters/http_calls.h"
#include "broker/adapters/object_store.h"
#include "broker/adapters/traffic_split.h"
#include "broker/schema/validator.h"

namespace icb {

// What an adapter is built with.
struct AdapterContext {
  HttpClient& http;
  const Clock& clock;  // request dates for signatures
  Sleeper sleep;       // between retries
};

template <typename Port>
using AdapterFactory = std::function<Result<std::unique_ptr<Port>>(const nlohmann::json& config, AdapterContext& ctx)>;

class AdapterRegistry {
 public:
  explicit AdapterRegistry(const SchemaSet& schemas) : schemas_(schemas) {}

  template <typename Port>
  void Register(std::string name, AdapterFactory<Port> factory) {
    std::get<Factories<Port>>(factories_)[std::move(name)] = std::move(factory);
  }

  // Validates `config` against schemas/adapter_NAME.json, then builds.
  template <typename Port>
  Result<std::unique_ptr<Port>> Create(const std::string& name, const nlohmann::json& config, AdapterContext& ctx) const {
    const auto& f = std::get<Factories<Port>>(factories_);
    auto it = f.find(name);
    if (it == f.end()) return Unknown(Port::kCapability, name, Names<Port>());
    ICB_RETURN_IF_ERROR(CheckConfig(name, config));
    return it->second(config, ctx);
  }

  template <typename Port>
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [n, f] : std::get<Factories<Port>>(factories_)) out.push_back(n);
    return out;
  }

  // Adapter names registered for a capability ("object_storage", "dns",
  // "traffic_split", "compute"); empty for an unknown capability.
  std::vector<std::string> NamesFor(std::string_view capability) const {
    if (capability == ObjectStore::kCapability) return Names<ObjectStore>();
    if (capability == DnsSwitch::kCapability) return Names<DnsSwitch>();
    if (capability == TrafficSplit::kCapability) return Names<TrafficSplit>();
    if (capability == ComputeProvider::kCapability) return Names<ComputeProvider>();
    return {};
  }

 private:
  template <typename Port>
  using Factories = std::map<std::string, AdapterFactory<Port>>;
  Status CheckConfig(const std::string& name, const nlohmann::json& config) const;
  static Status Unknown(const char* capability, const std::string& name, const std::vector<std::string>& known);

  const SchemaSet& schemas_;
  std::tuple<Factories<ObjectStore>, Factories<DnsSwitch>, Factories<TrafficSplit>, Factories<ComputeProvider>> factories_;
};

// Defined in adapters/register.cc.
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace icb
