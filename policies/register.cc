// The one place built-in policies are registered: ranking and trigger.
#include "broker/orchestrator/triggers/trigger.h"
#include "broker/ranking/policy.h"
#include "policies/ahp.h"
#include "policies/consecutive_failures.h"
#include "policies/latency_trigger.h"
#include "policies/load_trigger.h"
#include "policies/topsis.h"
#include "policies/weighted_sum.h"

namespace icb {

void RegisterBuiltinPolicies(PolicyRegistry& registry) {
  MustRegister(registry.Register("weighted_sum", [] { return std::make_unique<WeightedSumPolicy>(); }));
  MustRegister(registry.Register("topsis", [] { return std::make_unique<TopsisPolicy>(); }));
  MustRegister(registry.Register("ahp", [] { return std::make_unique<AhpPolicy>(); }));
}

void RegisterBuiltinTriggerPolicies(TriggerRegistry& registry) {
  MustRegister(registry.Register("consecutive_failures", [] { return std::make_unique<ConsecutiveFailuresTrigger>(); }));
  MustRegister(registry.RegisterLoad("load", [] { return std::make_unique<LoadTrigger>(); }));
  MustRegister(registry.RegisterLatency("latency", [] { return std::make_unique<LatencyTrigger>(); }));
}

}  // namespace icb
