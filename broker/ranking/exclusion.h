// Why a provider is excluded from a rank, in the form answers count it by.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace icb {

// Why a provider is excluded: the constraints it fails, each a pointer into
// the profile (for example "/constraints/targets/availability_percent",
// "/cost/monthly_budget"; "/sla" when no SLA is in force), which answers
// count exclusions by, and each reason in words when `words` is set. Words
// cost allocations and formatting; a rank over a large catalog words only
// the exclusions its answer lists.
struct ExclusionReasons {
  bool words = true;
  std::vector<std::string> reasons;             // when words
  std::vector<std::string_view> constraints;    // static text; parallel to reasons when words
  template <typename Text>
  void Add(std::string_view constraint, Text&& text) {
    constraints.push_back(constraint);
    if (words) reasons.push_back(text());
  }
  bool empty() const { return constraints.empty(); }
};

}  // namespace icb
