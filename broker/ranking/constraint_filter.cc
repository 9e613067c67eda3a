#include "broker/ranking/constraint_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace icb {

namespace {

uint32_t Lookup(const std::map<std::string, uint32_t, std::less<>>& ids, const std::string& key, uint32_t absent) {
  auto it = ids.find(key);
  return it == ids.end() ? absent : it->second;
}

}  // namespace

ConstraintFilter::ConstraintFilter(const Constraints& c, const RankTable& table) : table_(table) {
  for (ServiceModel m : c.service_models) model_mask_ |= 1u << static_cast<int>(m);
  any_country_ = c.countries.empty();
  for (const auto& country : c.countries) countries_.push_back(Lookup(table.country_ids, country, kNeverHeld));
  for (const auto& cert : c.certifications) certs_.push_back(Lookup(table.cert_ids, cert, kNeverHeld));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (const auto& [target, bound] : c.targets) bounds_.push_back({target, bound.min.value_or(-kInf), bound.max.value_or(kInf)});
}

ConstraintSet ConstraintFilter::Failed(size_t i, const double* values, TimePoint now) const {
  ConstraintSet failed;
  if (model_mask_ && !(model_mask_ >> static_cast<int>(table_.service_model[i]) & 1u)) failed.Add(Constraint::kServiceModels);
  if (!any_country_) {
    bool any = false;
    for (uint32_t k = table_.country_begin[i]; k < table_.country_begin[i + 1] && !any; ++k)
      any = std::find(countries_.begin(), countries_.end(), table_.countries[k]) != countries_.end();
    if (!any) failed.Add(Constraint::kCountries);
  }
  for (uint32_t cert : certs_) {
    const auto* begin = table_.certs.data() + table_.cert_begin[i];
    const auto* end = table_.certs.data() + table_.cert_begin[i + 1];
    const auto* held = std::find_if(begin, end, [&](const RankTable::HeldCertification& h) { return h.id == cert; });
    if (held == end || held->valid_until < now) failed.Add(Constraint::kCertifications);
  }
  if (bounds_.empty()) return failed;
  if (!values) {
    failed.Add(Constraint::kSla);
    return failed;
  }
  for (const auto& b : bounds_) {
    double v = values[b.target];
    // NaN (not published) fails both comparisons' negation: excluded.
    if (!(v >= b.min && v <= b.max)) failed.Add(TargetConstraint(b.target));
  }
  return failed;
}

void TargetsAsDoubles(const TargetValues& in, double* out) {
  for (int t = 0; t < kNumTargets; ++t) out[t] = in[t] ? *in[t] : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace icb
