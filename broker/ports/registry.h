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

#include "broker/ports/compute.h"
#include "broker/ports/dns.h"
#include "broker/ports/http_calls.h"
#include "broker/ports/object_store.h"
#include "broker/ports/traffic_split.h"
#include "broker/core/named_registry.h"
#include "broker/schema/validator.h"

namespace icb {

// What an adapter is built with.
struct AdapterContext {
  HttpClient& http;
  const Clock& clock;  // request dates for signatures
  Sleeper sleep;       // between retries
  // Set: folders on this machine adapters may read and write (the `file`
  // store's path must lie under one: serve --file-roots, canonical).
  // Null: anywhere (unit tests and offline tools).
  const std::vector<std::string>* file_roots;
};

template <typename Port>
using AdapterFactory = std::function<Result<std::unique_ptr<Port>>(const nlohmann::json& config, AdapterContext& ctx)>;

class AdapterRegistry {
 public:
  explicit AdapterRegistry(const SchemaSet& schemas) : schemas_(schemas) {}

  // AlreadyExists for a name registered before for the same capability.
  template <typename Port>
  Status Register(std::string name, AdapterFactory<Port> factory) {
    return std::get<Factories<Port>>(factories_).Add(std::move(name), std::move(factory));
  }
  template <typename Port>
  Status ReplaceForTesting(std::string_view name, AdapterFactory<Port> factory) {
    return std::get<Factories<Port>>(factories_).ReplaceForTesting(name, std::move(factory));
  }

  // Validates `config` against schemas/adapter_NAME.json, then builds.
  template <typename Port>
  Result<std::unique_ptr<Port>> Create(const std::string& name, const nlohmann::json& config, AdapterContext& ctx) const {
    const AdapterFactory<Port>* factory = std::get<Factories<Port>>(factories_).Find(name);
    if (!factory) return Unknown(Port::kCapability, name, Names<Port>());
    ICB_RETURN_IF_ERROR(CheckConfig(name, config));
    return (*factory)(config, ctx);
  }

  template <typename Port>
  std::vector<std::string> Names() const {
    return std::get<Factories<Port>>(factories_).Names();
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
  using Factories = NamedRegistry<AdapterFactory<Port>>;
  Status CheckConfig(const std::string& name, const nlohmann::json& config) const;
  static Status Unknown(const char* capability, const std::string& name, const std::vector<std::string>& known);

  const SchemaSet& schemas_;
  std::tuple<Factories<ObjectStore>, Factories<DnsSwitch>, Factories<TrafficSplit>, Factories<ComputeProvider>> factories_{
      Factories<ObjectStore>{"object_storage adapter"}, Factories<DnsSwitch>{"dns adapter"}, Factories<TrafficSplit>{"traffic_split adapter"},
      Factories<ComputeProvider>{"compute adapter"}};
};

// Defined in adapters/register.cc.
void RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace icb
