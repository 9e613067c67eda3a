#include "broker/ranking/exclusion.h"

namespace icb {

std::string_view ConstraintPointer(Constraint c) {
  // Made once: exclusions point at these, and answers count by them.
  static const auto pointers = [] {
    std::array<std::string, kNumConstraints> out;
    out[static_cast<int>(Constraint::kSla)] = "/sla";
    out[static_cast<int>(Constraint::kServiceModels)] = "/constraints/service_models";
    out[static_cast<int>(Constraint::kCountries)] = "/constraints/countries";
    out[static_cast<int>(Constraint::kCertifications)] = "/constraints/certifications";
    for (int t = 0; t < kNumTargets; ++t) out[static_cast<int>(TargetConstraint(t))] = "/constraints/targets/" + std::string(kTargets[t].name);
    out[static_cast<int>(Constraint::kCost)] = "/cost";
    out[static_cast<int>(Constraint::kMonthlyBudget)] = "/cost/monthly_budget";
    out[static_cast<int>(Constraint::kCloudWashing)] = "/constraints/exclude_cloud_washing";
    out[static_cast<int>(Constraint::kEssentialCharacteristics)] = "/constraints/essential_characteristics";
    return out;
  }();
  return pointers[static_cast<int>(c)];
}

std::vector<std::string_view> ConstraintSet::Pointers() const {
  std::vector<std::string_view> out;
  ForEach([&](Constraint c) { out.push_back(ConstraintPointer(c)); });
  return out;
}

}  // namespace icb
