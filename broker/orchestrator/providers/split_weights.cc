#include "broker/orchestrator/providers/split_weights.h"

#include <algorithm>
#include <cmath>

namespace icb {

using nlohmann::json;

std::map<std::string, int> SplitWeights(const Workload& w, const std::string& placement, const std::string& secondary, double share) {
  std::map<std::string, int> weights;
  if (!w.split) return weights;
  const int to_secondary = secondary.empty() ? 0 : std::clamp(static_cast<int>(std::lround(share)), 0, 100);
  for (const auto& [provider, server] : w.split->servers) {
    int weight = 0;
    if (provider == placement) weight = 100 - to_secondary;
    else if (provider == secondary) weight = to_secondary;
    weights[server] = std::max(weights[server], weight);  // two providers behind one server: the larger share
  }
  return weights;
}

Result<json> ApplySplitWeights(ProviderAdapters& adapters, const Workload& w, const std::map<std::string, int>& weights) {
  if (!w.split) return FailedPrecondition("workload " + w.id + " has no split");
  ICB_ASSIGN_OR_RETURN(auto split, adapters.Split(w.split->provider));
  ICB_ASSIGN_OR_RETURN(auto before, split->Servers());
  auto matches = [&](const std::vector<SplitServer>& servers) {
    for (const auto& [name, weight] : weights) {
      auto it = std::find_if(servers.begin(), servers.end(), [&wanted = name](const SplitServer& s) { return s.name == wanted; });
      if (it == servers.end() || it->weight != weight) return false;
    }
    return true;
  };
  json previous = json::object(), wanted = json::object();
  for (const auto& [server, weight] : weights) wanted[server] = weight;
  for (const auto& s : before)
    if (weights.count(s.name)) previous[s.name] = s.weight;
  json detail = {{"split", w.split->provider}, {"weights", wanted}, {"previous", previous}, {"changed", false}};
  if (matches(before)) return detail;  // already so (a step run again after a crash)
  ICB_RETURN_IF_ERROR(split->SetWeights(weights));
  ICB_ASSIGN_OR_RETURN(auto after, split->Servers());
  if (!matches(after)) return Unavailable("split " + w.split->provider + " does not show the weights set");
  detail["changed"] = true;
  return detail;
}

}  // namespace icb
