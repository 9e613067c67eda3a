// Ranking: hard constraints filter providers (each exclusion names the value
// and the bound), published SLA targets are normalised on the fixed anchors of
// model/criteria.h, averaged per criterion, and a policy scores the criteria.
#pragma once

#include "broker/ranking/exclusion.h"

#include <cstdint>
#include <string_view>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/catalog/catalog.h"
#include "broker/ranking/cloud_check.h"
#include "broker/ranking/constraint_filter.h"
#include "broker/ranking/cost.h"
#include "broker/ranking/policy.h"

namespace icb {

struct CriterionBreakdown {
  double score = 0;         // mean of its targets' scores
  double weight = 0;        // normalised weight
  double contribution = 0;  // policy's share of the total score
};

// What the broker measured of a provider over a trailing window, per SLA
// target (nullopt where it measures nothing: checklists, retention, ...).
struct MeasuredTargets {
  std::array<std::optional<double>, kNumTargets> values{};
  double coverage_percent = 0;
  TimePoint from, to;
};
// The whole catalog's measurements over one trailing window. Only providers
// with something measured are listed (one shared copy each, also held by the
// QoS service's per-provider cache): in a catalog of thousands most have
// none, and their answer is the window with nothing in it.
struct MeasuredMap {
  TimePoint from, to;
  std::map<std::string, std::shared_ptr<const MeasuredTargets>, std::less<>> providers;
  const MeasuredTargets* Find(std::string_view id) const {
    auto it = providers.find(id);
    return it == providers.end() ? nullptr : it->second.get();
  }
};
// Below this coverage a provider's measurements are not used: it is marked,
// and its published values stand in.
inline constexpr double kMinMeasuredCoverage = 50.0;

// Per target, when ranking on measured evidence.
struct EvidenceTarget {
  std::optional<double> published, measured, used;
  double score = 0;
  std::optional<bool> kept;  // measured meets published
};

struct EvidenceDetail {
  double coverage_percent = 0;
  bool sufficient = false;
  TimePoint from, to;
  std::array<EvidenceTarget, kNumTargets> targets;
  std::optional<double> promise_kept;  // share of targets with both values where the promise held
};

struct RankedProvider {
  std::string provider;
  int rank = 0;
  double score = 0;
  // The SLA version it was ranked on: its targets' values and scores (and
  // their JSON) are the per-target breakdown. Owned by the catalog snapshot.
  const SlaVersion* sla = nullptr;  // null when ranked on measurement alone
  std::array<CriterionBreakdown, kNumColumns> criteria;  // the 7 criteria, then cost
  std::optional<EvidenceDetail> evidence;  // evidence measured or both
  std::optional<CostEstimate> cost;        // when the profile describes its usage
  std::optional<CloudCheck> cloud;         // when the profile constrains it, or observations were given
};

struct ExcludedProvider {
  std::string provider;
  std::vector<std::string> reasons;
  ConstraintSet constraints;
};

struct RankResult {
  std::string policy;
  int policy_version = 0;
  TimePoint at;
  std::array<double, kNumColumns> weights{};  // as applied (AHP derives its own)
  std::optional<double> consistency_ratio;     // AHP
  std::vector<RankedProvider> ranking;
  // The first RankInputs::worded_exclusions excluded providers (in id order),
  // with their reasons; `exclusions` counts them all.
  std::vector<ExcludedProvider> excluded;
  ExclusionCounts exclusions;
};

// Reasons a provider fails the profile's hard constraints at time `now`;
// empty when it passes. `targets` are the values judged (null: none known).
ExclusionReasons ConstraintViolations(const Provider& provider, const TargetValues* targets, const Constraints& c, TimePoint now, bool words = true);

// What the broker knows beyond the catalog, each optional.
// Expected SLA credit per provider, % of the bill.
using CreditMap = std::map<std::string, double, std::less<>>;

struct RankInputs {
  const MeasuredMap* measured = nullptr;  // needed for evidence measured or both
  // Expected SLA credit per provider, % of the bill (recent months' mean).
  const std::map<std::string, double, std::less<>>* credit_percent = nullptr;
  // Characteristic checks per provider; without them the check rests on claims.
  const ObservationMap* observations = nullptr;
  // Excluded providers past this many (in id order) are counted but not
  // listed: an answer lists only the first few, with their reasons.
  size_t worded_exclusions = SIZE_MAX;
};

// Whether a measured value keeps the published promise.
inline bool PromiseKept(const TargetSpec& spec, double published, double measured) {
  return spec.higher_is_better ? measured >= published : measured <= published;
}

// Ranks the providers of the snapshot. top_k = 0 means all.
Result<RankResult> Rank(const CatalogSnapshot& catalog, const Profile& profile, const RankingPolicy& policy, TimePoint now,
                        size_t top_k, const RankInputs& inputs = {});

// Formats a number the way the API prints it (shortest round-trip form).
std::string FormatNumber(double v);

}  // namespace icb
