// A profile's hard constraints compiled against one rank table, so that a
// rank over a large catalog learns which constraints each provider fails
// from flat arrays and integer compares, with no allocation. Reasons in
// words still come from ConstraintViolations, for the providers an answer
// lists; both agree on the constraints (a test holds them to it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "broker/catalog/catalog.h"
#include "broker/ranking/exclusion.h"

namespace icb {

// Target values judged against a profile's bounds (null: none known).
using TargetValues = std::array<std::optional<double>, kNumTargets>;

class ConstraintFilter {
 public:
  ConstraintFilter(const Constraints& c, const RankTable& table);

  // The constraints provider `i` (its index in the snapshot) fails at `now`,
  // judged on `values` (kNumTargets, NaN where unknown; null when there are
  // none, which fails any target constraint as "/sla").
  ConstraintSet Failed(size_t i, const double* values, TimePoint now) const;

 private:
  struct TargetBound {
    int target;
    double min, max;  // -inf / +inf when absent
  };
  static constexpr uint32_t kNeverHeld = UINT32_MAX;  // a name no provider lists

  const RankTable& table_;
  uint32_t model_mask_ = 0;         // bit per ServiceModel; 0 = any
  std::vector<uint32_t> countries_;  // interned; empty = any; kNeverHeld if none listed it
  bool any_country_ = true;
  std::vector<uint32_t> certs_;      // interned; all required
  std::vector<TargetBound> bounds_;
};

// Targets as the filter reads them: NaN where unknown.
void TargetsAsDoubles(const TargetValues& in, double* out);

}  // namespace icb
