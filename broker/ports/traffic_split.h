// The weighted traffic-split port: how a load balancer in front of several
// providers divides requests between them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "broker/core/status.h"

namespace icb {

struct SplitServer {
  std::string name;
  int weight = 0;       // relative share, 0-256
  std::string state;    // ready, drain or maint
};

class TrafficSplit {
 public:
  static constexpr const char* kCapability = "traffic_split";
  virtual ~TrafficSplit() = default;
  virtual Result<std::vector<SplitServer>> Servers() = 0;
  // Sets every named server's weight; unknown names are refused before any change.
  virtual Status SetWeights(const std::map<std::string, int>& weights) = 0;
  virtual Status SetState(const std::string& server, const std::string& state) = 0;
};

}  // namespace icb
