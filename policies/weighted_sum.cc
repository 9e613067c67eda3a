#include "policies/weighted_sum.h"

namespace icb {

Result<PolicyScores> WeightedSumPolicy::Score(const DecisionMatrix& m, const Profile& /*profile*/) const {
  PolicyScores out;
  out.scores.assign(m.rows, 0.0);
  out.contributions.resize(m.rows * m.cols);
  for (size_t r = 0; r < m.rows; ++r) {
    double sum = 0;
    for (size_t c = 0; c < m.cols; ++c) {
      double term = m.weights[c] * m.cells[r * m.cols + c];
      out.contributions[r * m.cols + c] = term;
      sum += term;
    }
    out.scores[r] = sum;
  }
  return out;
}

}  // namespace icb
