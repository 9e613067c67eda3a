#include "policies/ahp.h"

#include <cmath>
#include <cstdio>

namespace icb {

AhpWeights AhpFromMatrix(const std::vector<std::vector<double>>& a) {
  // Saaty's random consistency indices for n = 1..10.
  static constexpr double kRandomIndex[] = {0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49};
  const size_t n = a.size();
  AhpWeights out;
  out.weights.assign(n, 1.0 / static_cast<double>(n));
  for (int iter = 0; iter < 1000; ++iter) {
    std::vector<double> next(n, 0.0);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) next[i] += a[i][j] * out.weights[j];
      sum += next[i];
    }
    double change = 0;
    for (size_t i = 0; i < n; ++i) {
      next[i] /= sum;
      change = std::max(change, std::fabs(next[i] - out.weights[i]));
    }
    out.weights = std::move(next);
    if (change < 1e-13) break;
  }
  double lambda = 0;
  for (size_t i = 0; i < n; ++i) {
    double row = 0;
    for (size_t j = 0; j < n; ++j) row += a[i][j] * out.weights[j];
    lambda += row / out.weights[i];
  }
  out.lambda_max = lambda / static_cast<double>(n);
  out.consistency_index = n > 1 ? (out.lambda_max - static_cast<double>(n)) / static_cast<double>(n - 1) : 0;
  double ri = n < std::size(kRandomIndex) ? kRandomIndex[n] : kRandomIndex[std::size(kRandomIndex) - 1];
  out.consistency_ratio = ri > 0 ? std::max(0.0, out.consistency_index / ri) : 0;
  return out;
}

Result<PolicyScores> AhpPolicy::Score(const DecisionMatrix& m, const Profile& profile) const {
  if (!profile.pairwise) {
    return InvalidArgument("ahp needs pairwise comparisons", {{"/pairwise", "policy ahp needs pairwise: {criteria: [...], matrix: [[...]]}"}});
  }
  AhpWeights ahp = AhpFromMatrix(profile.pairwise->matrix);
  if (ahp.consistency_ratio > 0.1 && !profile.accept_inconsistent) {
    char cr[32];
    std::snprintf(cr, sizeof cr, "%.3f", ahp.consistency_ratio);
    return InvalidArgument("inconsistent pairwise comparisons",
                           {{"/pairwise/matrix", std::string("consistency ratio ") + cr +
                                                     " exceeds 0.1: revise the judgements, or set accept_inconsistent: true"}});
  }
  PolicyScores out;
  out.weights.assign(m.cols, 0.0);
  for (size_t k = 0; k < profile.pairwise->columns.size(); ++k) out.weights[static_cast<size_t>(profile.pairwise->columns[k])] = ahp.weights[k];
  out.consistency_ratio = ahp.consistency_ratio;
  out.scores.assign(m.rows, 0.0);
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c) out.scores[r] += out.weights[c] * m.at(r, c);
  out.contributions = [cells = m.data(), cols = m.cols, weights = out.weights](size_t row, double* to) {
    for (size_t c = 0; c < cols; ++c) to[c] = weights[c] * cells[row * cols + c];
  };
  return out;
}

}  // namespace icb
