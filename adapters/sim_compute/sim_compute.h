// Compute adapter over the lab's simulated compute provider
// (deploy/lab/compute_sim.py: GET /v1/state, POST /v1/scale). A simulation
// for demos, drills and tests, not a cloud. Config: schemas/adapter_sim_compute.json.
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

Result<std::unique_ptr<ComputeProvider>> NewSimCompute(const nlohmann::json& config, AdapterContext& ctx);

}  // namespace icb
