#include "broker/orchestrator/providers/provider_adapters.h"

#include <nlohmann/json.hpp>

namespace icb {

Result<std::pair<std::string, nlohmann::json>> CatalogProviderAdapters::Config(const std::string& provider, const char* capability) {
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  const ProviderEntry* entry = snapshot->FindProvider(provider);
  if (!entry) return NotFound("no provider \"" + provider + "\"");
  auto it = entry->provider.adapters.find(capability);
  if (it == entry->provider.adapters.end()) return NotFound("provider " + provider + " has no " + capability + " adapter");
  const AdapterRef& ref = it->second;
  ICB_ASSIGN_OR_RETURN(nlohmann::json config, ParseJson(ref.config_json));
  if (!ref.credentials.empty()) {
    if (!credentials_) return FailedPrecondition("provider " + provider + "'s " + capability + " adapter names credentials \"" + ref.credentials +
                                                 "\", but the broker has no credentials");
    ICB_ASSIGN_OR_RETURN(config, JoinCredentials(*credentials_, ref.credentials, std::move(config)));
  }
  return std::pair{ref.adapter, std::move(config)};
}

std::optional<int> CatalogProviderAdapters::CallLimit(const std::string& provider, const char* capability) {
  auto snapshot = catalog_.Snapshot();
  if (!snapshot.ok()) return std::nullopt;
  const ProviderEntry* entry = (*snapshot)->FindProvider(provider);
  if (!entry) return std::nullopt;
  auto it = entry->provider.adapters.find(capability);
  return it == entry->provider.adapters.end() ? std::nullopt : it->second.calls_in_flight;
}

Result<std::unique_ptr<ComputeProvider>> CatalogProviderAdapters::Compute(const std::string& provider) {
  ICB_ASSIGN_OR_RETURN(auto ref, Config(provider, ComputeProvider::kCapability));
  return registry_.Create<ComputeProvider>(ref.first, ref.second, context_);
}

Result<std::unique_ptr<DnsSwitch>> CatalogProviderAdapters::Dns(const std::string& provider) {
  ICB_ASSIGN_OR_RETURN(auto ref, Config(provider, DnsSwitch::kCapability));
  return registry_.Create<DnsSwitch>(ref.first, ref.second, context_);
}

Result<std::unique_ptr<ObjectStore>> CatalogProviderAdapters::Objects(const std::string& provider) {
  ICB_ASSIGN_OR_RETURN(auto ref, Config(provider, ObjectStore::kCapability));
  return registry_.Create<ObjectStore>(ref.first, ref.second, context_);
}

Result<std::unique_ptr<TrafficSplit>> CatalogProviderAdapters::Split(const std::string& provider) {
  ICB_ASSIGN_OR_RETURN(auto ref, Config(provider, TrafficSplit::kCapability));
  return registry_.Create<TrafficSplit>(ref.first, ref.second, context_);
}

}  // namespace icb
