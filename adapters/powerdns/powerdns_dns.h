// DNS traffic switch through the PowerDNS authoritative server's HTTP API
// (zones/{zone}: GET to read, PATCH with changetype REPLACE/DELETE to write;
// X-API-Key). Config: schemas/adapter_powerdns.json.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

Result<std::unique_ptr<DnsSwitch>> NewPowerDnsSwitch(const nlohmann::json& config, AdapterContext& ctx);

// `name`'s `type` record set as a PowerDNS zone document (GET zones/{zone})
// holds it: the plain set, or the views of a LUA record this adapter wrote;
// nullopt when neither. What the server sent is hostile input like any
// other: Unavailable for what is not a zone document (its fuzz target).
Result<std::optional<DnsRecordSet>> PowerDnsRecordSetFromZone(std::string_view zone_document, const std::string& name, const std::string& type);

}  // namespace icb
