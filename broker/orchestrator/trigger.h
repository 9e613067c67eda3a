// Trigger policies decide from probe samples when a workload's serving
// address has failed and when it has recovered. They are registered by name
// like the ranking policies (filled in policies/register.cc); the detector
// feeds them each vantage's latest samples.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/clock.h"
#include "broker/model/workload.h"

namespace icb {

// One probe of a workload's serving address from one vantage.
struct VantageSample {
  TimePoint ts;
  bool ok = false;
  int status = 0;
  std::string error;  // "" when ok
  std::optional<double> latency_ms;
};

// Each reporting vantage's recent samples, oldest first.
using SamplesByVantage = std::map<std::string, std::vector<VantageSample>>;

enum class Verdict { kUnchanged, kFailed, kRecovered };

struct TriggerDecision {
  Verdict verdict = Verdict::kUnchanged;
  // What it rests on: per vantage, the samples that counted (failing ones
  // for a failure), the quorum and how many vantages met it.
  nlohmann::json inputs = nlohmann::json::object();
};

class TriggerPolicy {
 public:
  virtual ~TriggerPolicy() = default;
  // `failed`: whether the address counts as failed now (hysteresis: a
  // failed one must recover, a healthy one must fail).
  virtual TriggerDecision Evaluate(const SamplesByVantage& samples, const FailoverSettings& settings, bool failed) const = 0;
};

class TriggerRegistry {
 public:
  using Factory = std::function<std::unique_ptr<TriggerPolicy>()>;
  void Register(std::string name, Factory factory) { policies_[std::move(name)] = factory(); }
  const TriggerPolicy* Find(std::string_view name) const {
    auto it = policies_.find(name);
    return it == policies_.end() ? nullptr : it->second.get();
  }

 private:
  std::map<std::string, std::unique_ptr<TriggerPolicy>, std::less<>> policies_;
};

// Defined in policies/: registers consecutive_failures.
void RegisterBuiltinTriggerPolicies(TriggerRegistry& registry);

}  // namespace icb
