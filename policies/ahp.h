#pragma once

#include "broker/ranking/policy.h"

namespace icb {

struct AhpWeights {
  std::vector<double> weights;  // per compared criterion, summing to 1
  double lambda_max = 0;
  double consistency_index = 0;
  double consistency_ratio = 0;  // CI / RI(n); 0 for n <= 2
};

// Principal eigenvector of a positive reciprocal matrix (power iteration),
// lambda_max, CI = (lambda_max - n) / (n - 1) and CR = CI / RI(n) with
// Saaty's random indices.
AhpWeights AhpFromMatrix(const std::vector<std::vector<double>>& matrix);

// AHP (Saaty): criterion weights from the profile's pairwise comparisons,
// then the weighted sum of the criterion scores. A matrix with CR > 0.1 is
// refused unless the profile accepts inconsistency.
class AhpPolicy final : public RankingPolicy {
 public:
  std::string_view name() const override { return "ahp"; }
  int version() const override { return 2; }  // 2: cost column, evidence-weighted management checks
  Result<PolicyScores> Score(const DecisionMatrix& m, const Profile& profile) const override;
};

}  // namespace icb
