// Trigger policies decide from probe samples when a workload's serving
// address has failed and when it has recovered (the detector feeds them
// each vantage's latest samples), and from its load when to burst to a
// secondary and when to scale back (the burst controller feeds them). They
// are registered by name like the ranking policies (policies/register.cc).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/clock.h"
#include "broker/core/named_registry.h"
#include "broker/model/workload.h"
#include "broker/orchestrator/state/audiences.h"  // LatencyReading

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
  // for a failure), the quorum and how many vantages met it. Filled when
  // the verdict is a change (what a `detected` or `recovered` event
  // records); empty for kUnchanged, which is a thousand answers a second.
  nlohmann::json inputs = nlohmann::json::object();
};

class TriggerPolicy {
 public:
  virtual ~TriggerPolicy() = default;
  // `failed`: whether the address counts as failed now (hysteresis: a
  // failed one must recover, a healthy one must fail).
  virtual TriggerDecision Evaluate(const SamplesByVantage& samples, const FailoverSettings& settings, bool failed) const = 0;
  // How many of each vantage's latest samples Evaluate reads for these
  // settings: the detector keeps that many and no more (ten thousand
  // watched workloads hold their samples in memory).
  virtual size_t SamplesNeeded(const FailoverSettings& settings) const = 0;
};

// One sample of a workload's load at its placement: a probe's latency (a
// probe that timed out counts as its timeout: the latency was at least
// that) and the compute adapter's utilisation, when each is known.
struct LoadSample {
  TimePoint ts;
  std::optional<double> latency_ms;
  std::optional<double> utilization_percent;
};

struct LoadThresholds {
  std::optional<double> p95_ms_above;       // unset: latency does not count
  std::optional<double> utilization_above;  // unset: utilisation does not count
  Millis window{60'000};
  Millis cooldown{300'000};
};

// Where a workload's burst stands: `calm_since` is when load last fell
// below every threshold while bursting (the cooldown runs from it).
struct LoadState {
  bool bursting = false;
  std::optional<TimePoint> calm_since;
};

enum class LoadVerdict { kUnchanged, kBurst, kScaleBack };

struct LoadDecision {
  LoadVerdict verdict = LoadVerdict::kUnchanged;
  std::optional<TimePoint> calm_since;  // the state's, carried on or changed
  // What it rests on: each signal over the window beside its threshold.
  nlohmann::json inputs = nlohmann::json::object();
};

// Load trigger policies decide from a workload's load samples when to
// borrow capacity at a secondary and when to give it back.
class LoadTriggerPolicy {
 public:
  virtual ~LoadTriggerPolicy() = default;
  // `samples`: oldest first, at least the window's worth.
  virtual LoadDecision Evaluate(const std::vector<LoadSample>& samples, const LoadThresholds& thresholds, const LoadState& state,
                                TimePoint now) const = 0;
};

struct LatencyObjective {
  double p95_ms = 0;
  Millis window{300'000};
  Millis cooldown{300'000};
};

// Where an audience stands: served away from the placement (localized) or
// not, and since when its latency at the placement has met the objective
// again (or it has been silent) while away.
struct AudienceState {
  bool localized = false;
  std::optional<TimePoint> calm_since;
};

enum class LatencyVerdict { kUnchanged, kLocalize, kDelocalize };

struct LatencyDecision {
  LatencyVerdict verdict = LatencyVerdict::kUnchanged;
  std::optional<TimePoint> calm_since;  // the state's, carried on or changed
  nlohmann::json inputs = nlohmann::json::object();  // the p95 beside the objective, the samples, the cooldown
};

// Latency trigger policies decide from an audience's latency at the
// workload's placement, measured from the audience's vantage, when to
// serve it from a provider nearer to it and when to bring it back.
class LatencyTriggerPolicy {
 public:
  virtual ~LatencyTriggerPolicy() = default;
  virtual LatencyDecision Evaluate(const LatencyReading& at_placement, const LatencyObjective& objective, const AudienceState& state,
                                   TimePoint now) const = 0;
};

// Named trigger policies of the three families: failure detection, load
// and audience latency.
class TriggerRegistry {
 public:
  using Factory = std::function<std::unique_ptr<TriggerPolicy>()>;
  using LoadFactory = std::function<std::unique_ptr<LoadTriggerPolicy>()>;
  // AlreadyExists for a name registered before (in its family).
  Status Register(std::string name, Factory factory) { return policies_.Add(std::move(name), factory()); }
  Status RegisterLoad(std::string name, LoadFactory factory) { return load_policies_.Add(std::move(name), factory()); }
  using LatencyFactory = std::function<std::unique_ptr<LatencyTriggerPolicy>()>;
  Status RegisterLatency(std::string name, LatencyFactory factory) { return latency_policies_.Add(std::move(name), factory()); }
  const LatencyTriggerPolicy* FindLatency(std::string_view name) const {
    const auto* found = latency_policies_.Find(name);
    return found ? found->get() : nullptr;
  }
  const TriggerPolicy* Find(std::string_view name) const {
    const auto* found = policies_.Find(name);
    return found ? found->get() : nullptr;
  }
  const LoadTriggerPolicy* FindLoad(std::string_view name) const {
    const auto* found = load_policies_.Find(name);
    return found ? found->get() : nullptr;
  }

 private:
  NamedRegistry<std::unique_ptr<TriggerPolicy>> policies_{"trigger policy"};
  NamedRegistry<std::unique_ptr<LoadTriggerPolicy>> load_policies_{"load trigger policy"};
  NamedRegistry<std::unique_ptr<LatencyTriggerPolicy>> latency_policies_{"latency trigger policy"};
};

// Defined in policies/: registers consecutive_failures and load.
void RegisterBuiltinTriggerPolicies(TriggerRegistry& registry);

}  // namespace icb
