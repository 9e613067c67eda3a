// Ranking: hard constraints filter providers (each exclusion names the value
// and the bound), published SLA targets are normalised on the fixed anchors of
// model/criteria.h, averaged per criterion, and a policy scores the criteria.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "broker/catalog/catalog.h"
#include "broker/ranking/policy.h"

namespace icb {

struct CriterionBreakdown {
  double score = 0;         // mean of its targets' scores
  double weight = 0;        // normalised weight
  double contribution = 0;  // policy's share of the total score
};

struct RankedProvider {
  std::string provider;
  int rank = 0;
  double score = 0;
  // The SLA version it was ranked on: its targets' values and scores (and
  // their JSON) are the per-target breakdown. Owned by the catalog snapshot.
  const SlaVersion* sla = nullptr;
  std::array<CriterionBreakdown, kNumCriteria> criteria;
};

struct ExcludedProvider {
  std::string provider;
  std::vector<std::string> reasons;
};

struct RankResult {
  std::string policy;
  int policy_version = 0;
  TimePoint at;
  std::array<double, kNumCriteria> weights{};
  std::vector<RankedProvider> ranking;
  std::vector<ExcludedProvider> excluded;
};

// Reasons a provider fails the profile's hard constraints at time `now`;
// empty when it passes. `sla` may be null (no SLA in force).
std::vector<std::string> ConstraintViolations(const Provider& provider, const SlaVersion* sla, const Constraints& c, TimePoint now);

// Ranks every provider of the snapshot. top_k = 0 means all.
Result<RankResult> Rank(const CatalogSnapshot& catalog, const Profile& profile, const RankingPolicy& policy, TimePoint now,
                        size_t top_k);

// Formats a number the way the API prints it (shortest round-trip form).
std::string FormatNumber(double v);

}  // namespace icb
