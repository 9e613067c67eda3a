// The port the orchestrator acts through: a provider's adapters, built from
// its catalog entry. The catalog's implementation joins the named
// credentials to each adapter's configuration; tests give in-memory fakes.
#pragma once

#include <memory>
#include <string>

#include "broker/ports/compute.h"
#include "broker/ports/credentials.h"
#include "broker/ports/dns.h"
#include "broker/ports/traffic_split.h"
#include "broker/ports/registry.h"
#include "broker/catalog/catalog.h"

namespace icb {

class ProviderAdapters {
 public:
  virtual ~ProviderAdapters() = default;
  // NotFound for an unknown provider or one without the capability.
  virtual Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) = 0;
  virtual Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) = 0;
  virtual Result<std::unique_ptr<ObjectStore>> Objects(const std::string& provider) {
    return NotFound("provider " + provider + " has no object_storage adapter");
  }
  virtual Result<std::unique_ptr<TrafficSplit>> Split(const std::string& provider) {
    return NotFound("provider " + provider + " has no traffic_split adapter");
  }
};

// Adapters as the catalog's provider documents describe them.
class CatalogProviderAdapters final : public ProviderAdapters {
 public:
  // `credentials` may be null (none given): references to one fail.
  CatalogProviderAdapters(Catalog& catalog, const AdapterRegistry& registry, const CredentialSource* credentials, AdapterContext context)
      : catalog_(catalog), registry_(registry), credentials_(credentials), context_(std::move(context)) {}
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) override;
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override;
  Result<std::unique_ptr<ObjectStore>> Objects(const std::string& provider) override;
  Result<std::unique_ptr<TrafficSplit>> Split(const std::string& provider) override;
  // The provider's own limit of calls in flight through its `capability`
  // adapter (calls_in_flight); nullopt: none set (or no such provider).
  std::optional<int> CallLimit(const std::string& provider, const char* capability);

 private:
  // The reference's configuration with its credentials joined.
  Result<std::pair<std::string, nlohmann::json>> Config(const std::string& provider, const char* capability);

  Catalog& catalog_;
  const AdapterRegistry& registry_;
  const CredentialSource* credentials_;
  AdapterContext context_;
};

}  // namespace icb
