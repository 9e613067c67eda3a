// TOPSIS and AHP on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "broker/model/documents.h"
#include "policies/ahp.h"
#include "policies/topsis.h"

namespace icb {
namespace {

DecisionMatrix Matrix(std::vector<std::vector<double>> rows, std::vector<double> weights) {
  DecisionMatrix m;
  m.rows = rows.size();
  m.cols = weights.size();
  for (const auto& r : rows) m.cells.insert(m.cells.end(), r.begin(), r.end());
  m.weights = std::move(weights);
  return m;
}

TEST(Topsis, TwoOppositeAlternatives) {
  // A = (1, 0), B = (0, 1), weights 0.7 / 0.3. Column norms are 1, so
  // v_A = (0.7, 0), v_B = (0, 0.3); ideal (0.7, 0.3), anti-ideal (0, 0).
  // A: S+ = 0.3, S- = 0.7 -> C = 0.7.  B: S+ = 0.7, S- = 0.3 -> C = 0.3.
  DecisionMatrix m = Matrix({{1, 0}, {0, 1}}, {0.7, 0.3});
  auto r = *TopsisPolicy().Score(m, Profile{});
  EXPECT_NEAR(r.scores[0], 0.7, 1e-12);
  EXPECT_NEAR(r.scores[1], 0.3, 1e-12);
  // Contributions: weight x position between the column's worst and best.
  double a[2], b[2];
  r.contributions(0, a);
  r.contributions(1, b);
  EXPECT_NEAR(a[0], 0.7, 1e-12);
  EXPECT_NEAR(a[1], 0.0, 1e-12);
  EXPECT_NEAR(b[0], 0.0, 1e-12);
  EXPECT_NEAR(b[1], 0.3, 1e-12);
}

TEST(Topsis, SymmetricPairAndADominatedAlternative) {
  // A = (0.8, 0.6), B = (0.6, 0.8), C = (0.6, 0.6), equal weights. A and B
  // mirror each other: equal closeness; C is the anti-ideal: closeness 0.
  // Each column's norm is sqrt(1.36); A's S+ = S- = 0.5 x 0.2 / sqrt(1.36) -> 0.5.
  auto r = *TopsisPolicy().Score(Matrix({{0.8, 0.6}, {0.6, 0.8}, {0.6, 0.6}}, {0.5, 0.5}), Profile{});
  EXPECT_NEAR(r.scores[0], 0.5, 1e-12);
  EXPECT_NEAR(r.scores[1], 0.5, 1e-12);
  EXPECT_NEAR(r.scores[2], 0.0, 1e-12);
}

TEST(Topsis, ScalingWeightsChangesNothingAndIdenticalRowsTie) {
  auto a = *TopsisPolicy().Score(Matrix({{0.9, 0.2, 0.5}, {0.4, 0.8, 0.6}, {0.6, 0.6, 0.1}}, {0.5, 0.3, 0.2}), Profile{});
  auto b = *TopsisPolicy().Score(Matrix({{0.9, 0.2, 0.5}, {0.4, 0.8, 0.6}, {0.6, 0.6, 0.1}}, {5, 3, 2}), Profile{});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a.scores[i], b.scores[i], 1e-12);
  auto same = *TopsisPolicy().Score(Matrix({{0.5, 0.5}, {0.5, 0.5}}, {0.5, 0.5}), Profile{});
  EXPECT_EQ(same.scores[0], same.scores[1]);
}

TEST(Ahp, ConsistentMatrixGivesExactWeights) {
  // a_ij = w_i / w_j with w = (4, 2, 1) / 7: perfectly consistent, lambda_max = n = 3, CI = CR = 0.
  auto w = AhpFromMatrix({{1, 2, 4}, {0.5, 1, 2}, {0.25, 0.5, 1}});
  EXPECT_NEAR(w.weights[0], 4.0 / 7, 1e-12);
  EXPECT_NEAR(w.weights[1], 2.0 / 7, 1e-12);
  EXPECT_NEAR(w.weights[2], 1.0 / 7, 1e-12);
  EXPECT_NEAR(w.lambda_max, 3.0, 1e-12);
  EXPECT_NEAR(w.consistency_ratio, 0.0, 1e-12);
  auto two = AhpFromMatrix({{1, 3}, {1.0 / 3, 1}});
  EXPECT_NEAR(two.weights[0], 0.75, 1e-12);
}

TEST(Ahp, CyclicJudgementsAreInconsistent) {
  // A >> B, B >> C, C >> A: as inconsistent as judgements get.
  auto w = AhpFromMatrix({{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}});
  EXPECT_GT(w.consistency_ratio, 0.1);
  EXPECT_NEAR(w.weights[0], 1.0 / 3, 1e-9);  // symmetric cycle: equal weights
  // lambda_max = 1 + 9 + 1/9 for this circulant matrix; CI = (lambda - 3) / 2, RI(3) = 0.58.
  EXPECT_NEAR(w.lambda_max, 1 + 9 + 1.0 / 9, 1e-9);
  EXPECT_NEAR(w.consistency_ratio, ((1 + 9 + 1.0 / 9) - 3) / 2 / 0.58, 1e-9);
}

TEST(Ahp, PolicyAppliesDerivedWeightsAndRefusesInconsistency) {
  Profile p;
  p.pairwise = PairwiseComparisons{{0, 3}, {{1, 3}, {1.0 / 3, 1}}};
  DecisionMatrix m = Matrix({{1, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 0, 0, 0}}, std::vector<double>(7, 1.0 / 7));
  auto r = *AhpPolicy().Score(m, p);
  EXPECT_NEAR(r.weights[0], 0.75, 1e-12);
  EXPECT_NEAR(r.weights[3], 0.25, 1e-12);
  EXPECT_EQ(r.weights[1], 0);
  EXPECT_NEAR(r.scores[0], 0.75, 1e-12);
  EXPECT_NEAR(r.scores[1], 0.25, 1e-12);
  EXPECT_EQ(*r.consistency_ratio, 0);

  p.pairwise = PairwiseComparisons{{0, 3, 2},
                                   {{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}}};
  auto bad = AhpPolicy().Score(m, p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().errors().at(0).pointer, "/pairwise/matrix");
  EXPECT_NE(bad.status().errors().at(0).message.find("consistency ratio 6.130"), std::string::npos) << bad.status().errors().at(0).message;
  p.accept_inconsistent = true;
  EXPECT_TRUE(AhpPolicy().Score(m, p).ok());
  EXPECT_FALSE(AhpPolicy().Score(m, Profile{}).ok());  // ahp without a matrix
}

}  // namespace
}  // namespace icb
