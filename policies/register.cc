// The one place built-in ranking policies are registered.
#include "broker/ranking/policy.h"
#include "policies/ahp.h"
#include "policies/topsis.h"
#include "policies/weighted_sum.h"

namespace icb {

void RegisterBuiltinPolicies(PolicyRegistry& registry) {
  registry.Register("weighted_sum", [] { return std::make_unique<WeightedSumPolicy>(); });
  registry.Register("topsis", [] { return std::make_unique<TopsisPolicy>(); });
  registry.Register("ahp", [] { return std::make_unique<AhpPolicy>(); });
}

}  // namespace icb
