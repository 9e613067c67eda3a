#include "policies/weighted_sum.h"

namespace icb {

Result<PolicyScores> WeightedSumPolicy::Score(const DecisionMatrix& m, const Profile& /*profile*/) const {
  PolicyScores out;
  out.scores.resize(m.rows);
  const double* cells = m.data();
  const double* w = m.weights.data();
  const size_t cols = m.cols;
  for (size_t r = 0; r < m.rows; ++r) {
    double sum = 0;
    for (size_t c = 0; c < cols; ++c) sum += w[c] * cells[r * cols + c];
    out.scores[r] = sum;
  }
  out.contributions = [cells, cols, weights = m.weights](size_t row, double* to) {
    for (size_t c = 0; c < cols; ++c) to[c] = weights[c] * cells[row * cols + c];
  };
  return out;
}

}  // namespace icb
