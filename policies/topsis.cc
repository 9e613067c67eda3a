#include "policies/topsis.h"

#include <cmath>

namespace icb {

Result<PolicyScores> TopsisPolicy::Score(const DecisionMatrix& m, const Profile& /*profile*/) const {
  PolicyScores out;
  out.scores.assign(m.rows, 0.0);
  // Per column: the weight over the vector norm (v = cell x scale), and the
  // weighted normalised ideal (best) and anti-ideal (worst).
  std::vector<double> scale(m.cols, 0.0), best(m.cols, -INFINITY), worst(m.cols, INFINITY);
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) scale[c] += m.at(r, c) * m.at(r, c);
  for (size_t c = 0; c < m.cols; ++c) scale[c] = scale[c] > 0 ? m.weights[c] / std::sqrt(scale[c]) : 0.0;
  for (size_t r = 0; r < m.rows; ++r) {
    for (size_t c = 0; c < m.cols; ++c) {
      double v = m.at(r, c) * scale[c];
      best[c] = std::max(best[c], v);
      worst[c] = std::min(worst[c], v);
    }
  }
  for (size_t r = 0; r < m.rows; ++r) {
    double plus = 0, minus = 0;
    for (size_t c = 0; c < m.cols; ++c) {
      double v = m.at(r, c) * scale[c];
      plus += (v - best[c]) * (v - best[c]);
      minus += (v - worst[c]) * (v - worst[c]);
    }
    plus = std::sqrt(plus);
    minus = std::sqrt(minus);
    // Every row ideal at once (all equal): each is as close as can be.
    out.scores[r] = plus + minus > 0 ? minus / (plus + minus) : 1.0;
  }
  // Contributions: weight x the row's position between the column's worst and best.
  out.contributions = [cells = m.data(), cols = m.cols, weights = m.weights, scale = std::move(scale), best = std::move(best),
                       worst = std::move(worst)](size_t row, double* to) {
    for (size_t c = 0; c < cols; ++c) {
      double v = cells[row * cols + c] * scale[c];
      double range = best[c] - worst[c];
      to[c] = weights[c] * (range > 0 ? (v - worst[c]) / range : 1.0);
    }
  };
  return out;
}

}  // namespace icb
