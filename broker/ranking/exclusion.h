// Why a provider is excluded from a rank, in the form answers count it by.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/model/criteria.h"

namespace icb {

// Every constraint an exclusion can name. Each is a pointer into the profile
// ("/constraints/targets/availability_percent", "/cost/monthly_budget"; "/sla"
// when no SLA is in force), which answers count exclusions by.
enum class Constraint : uint8_t {
  kSla,
  kServiceModels,
  kCountries,
  kCertifications,
  kFirstTarget,  // one per SLA target, in kTargets order
  kCost = kFirstTarget + kNumTargets,
  kMonthlyBudget,
  kCloudWashing,
  kEssentialCharacteristics,
};
inline constexpr int kNumConstraints = static_cast<int>(Constraint::kEssentialCharacteristics) + 1;
static_assert(kNumConstraints <= 32, "a ConstraintSet is 32 bits");

inline Constraint TargetConstraint(int target) { return static_cast<Constraint>(static_cast<int>(Constraint::kFirstTarget) + target); }
std::string_view ConstraintPointer(Constraint c);

// A set of constraints as bits: the failed constraints of one provider,
// without allocating (a rank over a large catalog excludes most of it).
class ConstraintSet {
 public:
  void Add(Constraint c) { bits_ |= 1u << static_cast<int>(c); }
  bool Has(Constraint c) const { return bits_ >> static_cast<int>(c) & 1u; }
  bool empty() const { return bits_ == 0; }
  bool operator==(const ConstraintSet&) const = default;
  // Each member once, in enum order.
  template <typename F>
  void ForEach(F&& f) const {
    for (uint32_t b = bits_; b; b &= b - 1) f(static_cast<Constraint>(__builtin_ctz(b)));
  }
  std::vector<std::string_view> Pointers() const;

 private:
  uint32_t bits_ = 0;
};

// Why a provider is excluded: the constraints it fails, and each reason in
// words when `words` is set. Words cost allocations and formatting; a rank
// over a large catalog words only the exclusions its answer lists.
struct ExclusionReasons {
  bool words = true;
  std::vector<std::string> reasons;  // when words; a constraint may give several
  ConstraintSet constraints;
  template <typename Text>
  void Add(Constraint constraint, Text&& text) {
    constraints.Add(constraint);
    if (words) reasons.push_back(text());
  }
  bool empty() const { return constraints.empty(); }
};

// How many providers failed each constraint (a provider counts once per
// constraint, however many reasons it gives).
struct ExclusionCounts {
  size_t providers = 0;  // excluded in all
  std::array<uint32_t, kNumConstraints> by_constraint{};
  void Count(const ConstraintSet& s) {
    ++providers;
    s.ForEach([&](Constraint c) { ++by_constraint[static_cast<int>(c)]; });
  }
};

}  // namespace icb
