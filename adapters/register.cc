// The one place adapters are registered.
#include <nlohmann/json.hpp>

#include "adapters/azure/azure_blob_store.h"
#include "adapters/s3/s3_object_store.h"
#include "broker/adapters/registry.h"

namespace icb {

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  registry.RegisterObjectStore("s3", [](const nlohmann::json& config, AdapterContext& ctx) -> Result<std::unique_ptr<ObjectStore>> {
    ICB_ASSIGN_OR_RETURN(S3Config cfg, S3ConfigFromJson(config));
    return NewS3ObjectStore(std::move(cfg), ctx);
  });
  registry.RegisterObjectStore("azure_blob", [](const nlohmann::json& config, AdapterContext& ctx) -> Result<std::unique_ptr<ObjectStore>> {
    ICB_ASSIGN_OR_RETURN(AzureBlobConfig cfg, AzureBlobConfigFromJson(config));
    return NewAzureBlobStore(std::move(cfg), ctx);
  });
}

}  // namespace icb
