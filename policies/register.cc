// The one place built-in ranking policies are registered.
#include "broker/ranking/policy.h"
#include "policies/weighted_sum.h"

namespace icb {

void RegisterBuiltinPolicies(PolicyRegistry& registry) {
  registry.Register("weighted_sum", [] { return std::make_unique<WeightedSumPolicy>(); });
}

}  // namespace icb
