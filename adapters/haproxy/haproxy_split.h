// Weighted traffic split through HAProxy's runtime API (a unix socket, one
// command per connection): "show servers state BACKEND", "set server
// BACKEND/SERVER weight N", "set server BACKEND/SERVER state ready|drain|maint".
// Config: schemas/adapter_haproxy.json.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

Result<std::unique_ptr<TrafficSplit>> NewHaproxySplit(const nlohmann::json& config, AdapterContext& ctx);

// One runtime API command and its answer (exposed for tests).
Result<std::string> HaproxyCommand(const std::string& socket_path, const std::string& command, Millis timeout);

}  // namespace icb
