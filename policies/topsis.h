#pragma once

#include "broker/ranking/policy.h"

namespace icb {

// TOPSIS (Hwang and Yoon, 1981): columns are vector-normalised and weighted;
// the score is the relative closeness S- / (S+ + S-) to the ideal (best of
// each column) against the anti-ideal (worst of each column). All columns are
// benefits (the ranker's criterion scores). Not additive: a column's
// contribution is its weight times how far the row sits from the column's
// worst towards its best, to explain where a provider stands.
class TopsisPolicy final : public RankingPolicy {
 public:
  std::string_view name() const override { return "topsis"; }
  int version() const override { return 2; }  // 2: cost column, evidence-weighted management checks
  Result<PolicyScores> Score(const DecisionMatrix& m, const Profile& profile) const override;
};

}  // namespace icb
