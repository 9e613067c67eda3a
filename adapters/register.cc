// The one place adapters are registered.
#include <nlohmann/json.hpp>

#include "adapters/azure/azure_blob_store.h"
#include "adapters/file/file_object_store.h"
#include "adapters/haproxy/haproxy_split.h"
#include "adapters/powerdns/powerdns_dns.h"
#include "adapters/s3/s3_object_store.h"
#include "adapters/sim_compute/sim_compute.h"
#include "broker/ports/registry.h"

namespace icb {

void RegisterBuiltinAdapters(AdapterRegistry& registry) {
  MustRegister(registry.Register<ObjectStore>("s3", [](const nlohmann::json& config, AdapterContext& ctx) -> Result<std::unique_ptr<ObjectStore>> {
    ICB_ASSIGN_OR_RETURN(S3Config cfg, S3ConfigFromJson(config));
    return NewS3ObjectStore(std::move(cfg), ctx);
  }));
  MustRegister(registry.Register<ObjectStore>("azure_blob", [](const nlohmann::json& config, AdapterContext& ctx) -> Result<std::unique_ptr<ObjectStore>> {
    ICB_ASSIGN_OR_RETURN(AzureBlobConfig cfg, AzureBlobConfigFromJson(config));
    return NewAzureBlobStore(std::move(cfg), ctx);
  }));
  MustRegister(registry.Register<ObjectStore>("file", [](const nlohmann::json& config, AdapterContext& ctx) -> Result<std::unique_ptr<ObjectStore>> {
    ICB_ASSIGN_OR_RETURN(FileStoreConfig cfg, FileStoreConfigFromJson(config));
    if (ctx.file_roots) ICB_RETURN_IF_ERROR(CheckUnderFileRoots(cfg.path, *ctx.file_roots));
    return NewFileObjectStore(std::move(cfg));
  }));
  MustRegister(registry.Register<DnsSwitch>("powerdns", NewPowerDnsSwitch));
  MustRegister(registry.Register<TrafficSplit>("haproxy", NewHaproxySplit));
  MustRegister(registry.Register<ComputeProvider>("sim_compute", NewSimCompute));
}

}  // namespace icb
