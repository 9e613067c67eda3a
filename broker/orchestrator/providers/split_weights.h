// A workload's traffic split as weights: percent per server name of the
// load balancer its `split` names. Place and failover put every weight on
// the placement; burst offload sends a share to a secondary.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/model/workload.h"
#include "broker/orchestrator/providers/provider_adapters.h"

namespace icb {

// `share` percent to `secondary`'s server, the rest to `placement`'s, 0 to
// every other server the workload names. No secondary: all on the placement.
std::map<std::string, int> SplitWeights(const Workload& w, const std::string& placement, const std::string& secondary, double share);

// Sets `weights` on the workload's split unless it holds them already
// (checked first), then reads them back. The answer's detail: split,
// weights, previous, changed. Unavailable when the balancer does not
// answer or does not show what was set.
Result<nlohmann::json> ApplySplitWeights(ProviderAdapters& adapters, const Workload& w, const std::map<std::string, int>& weights);

}  // namespace icb
