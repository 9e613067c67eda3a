// DNS traffic switch through the PowerDNS authoritative server's HTTP API
// (zones/{zone}: GET to read, PATCH with changetype REPLACE/DELETE to write;
// X-API-Key). Config: schemas/adapter_powerdns.json.
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

Result<std::unique_ptr<DnsSwitch>> NewPowerDnsSwitch(const nlohmann::json& config, AdapterContext& ctx);

}  // namespace icb
