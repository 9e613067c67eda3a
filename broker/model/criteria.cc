#include "broker/model/criteria.h"

#include <algorithm>
#include <cmath>

namespace icb {

std::optional<Criterion> CriterionFromName(std::string_view name) {
  for (int i = 0; i < kNumCriteria; ++i)
    if (kCriterionNames[i] == name) return static_cast<Criterion>(i);
  return std::nullopt;
}

std::optional<int> ColumnFromName(std::string_view name) {
  for (int i = 0; i < kNumColumns; ++i)
    if (kColumnNames[i] == name) return i;
  return std::nullopt;
}

std::optional<int> TargetIndex(std::string_view name) {
  for (int i = 0; i < kNumTargets; ++i)
    if (kTargets[i].name == name) return i;
  return std::nullopt;
}

double NormaliseTarget(const TargetSpec& spec, double value) {
  auto transform = [&](double v) {
    switch (spec.scale) {
      case Scale::kNines: {
        double down = 1.0 - std::min(v, 100.0) / 100.0;
        return down <= 1e-12 ? 12.0 : -std::log10(down);  // 100 % counts as twelve nines
      }
      case Scale::kLog: return std::log(std::max(v, 1e-9));
      case Scale::kLinear: return v;
    }
    return v;
  };
  double lo = transform(spec.worst), hi = transform(spec.best), x = transform(value);
  double s = (x - lo) / (hi - lo);  // works for both directions: worst/best carry it
  return std::clamp(s, 0.0, 1.0);
}

}  // namespace icb
