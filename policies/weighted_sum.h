#pragma once

#include "broker/ranking/policy.h"

namespace icb {

// Score = sum over criteria of weight x normalised criterion score, in [0, 1].
// The contribution of a criterion is exactly its term of that sum.
class WeightedSumPolicy final : public RankingPolicy {
 public:
  std::string_view name() const override { return "weighted_sum"; }
  int version() const override { return 2; }  // 2: cost column, evidence-weighted management checks
  Result<PolicyScores> Score(const DecisionMatrix& m, const Profile& profile) const override;
};

}  // namespace icb
