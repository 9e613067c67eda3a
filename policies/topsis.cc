#include "policies/topsis.h"

#include <cmath>

namespace icb {

Result<PolicyScores> TopsisPolicy::Score(const DecisionMatrix& m, const Profile& /*profile*/) const {
  PolicyScores out;
  out.scores.assign(m.rows, 0.0);
  out.contributions.assign(m.rows * m.cols, 0.0);
  if (m.rows == 0) return out;
  std::vector<double> norm(m.cols, 0.0), best(m.cols, -INFINITY), worst(m.cols, INFINITY);
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) norm[c] += m.at(r, c) * m.at(r, c);
  for (auto& n : norm) n = std::sqrt(n);
  auto v = [&](size_t r, size_t c) { return norm[c] > 0 ? m.weights[c] * m.at(r, c) / norm[c] : 0.0; };
  for (size_t r = 0; r < m.rows; ++r) {
    for (size_t c = 0; c < m.cols; ++c) {
      best[c] = std::max(best[c], v(r, c));
      worst[c] = std::min(worst[c], v(r, c));
    }
  }
  for (size_t r = 0; r < m.rows; ++r) {
    double plus = 0, minus = 0;
    for (size_t c = 0; c < m.cols; ++c) {
      double x = v(r, c);
      plus += (x - best[c]) * (x - best[c]);
      minus += (x - worst[c]) * (x - worst[c]);
      double range = best[c] - worst[c];
      out.contributions[r * m.cols + c] = m.weights[c] * (range > 0 ? (x - worst[c]) / range : 1.0);
    }
    plus = std::sqrt(plus);
    minus = std::sqrt(minus);
    // Every row ideal at once (all equal): each is as close as can be.
    out.scores[r] = plus + minus > 0 ? minus / (plus + minus) : 1.0;
  }
  return out;
}

}  // namespace icb
