#include "broker/ranking/cloud_check.h"

#include "broker/core/time.h"

namespace icb {

CloudCheck CheckCloud(const Provider& provider, const std::vector<CharacteristicCheckEvent>& observations, TimePoint now) {
  CloudCheck out;
  std::array<const CharacteristicCheckEvent*, kNumCharacteristics> latest{};
  for (const auto& o : observations) {
    if (o.at > now) continue;
    auto& slot = latest[static_cast<int>(o.characteristic)];
    if (!slot || o.at >= slot->at) slot = &o;
  }
  out.secured = true;
  for (int i = 0; i < kNumCharacteristics; ++i) {
    CharacteristicStatus& s = out.items[i];
    const auto& claim = provider.characteristics[i];
    if (claim) {
      s.claimed = claim->supported;
      s.claim_evidence = claim->evidence;
    }
    if (const auto* o = latest[i]) {
      s.met = o->passed;
      s.evidence = Evidence::kObserved;
      s.observed_at = o->at;
      s.detail = o->detail;
      s.contradicted = s.claimed && !o->passed;
    } else if (claim) {
      s.met = claim->supported;
      s.evidence = claim->evidence;
    }
    out.flagged = out.flagged || s.contradicted;
    out.secured = out.secured && s.met;
  }
  return out;
}

void CloudViolations(const CloudCheck& check, const Constraints& c, ExclusionReasons& out) {
  for (int i = 0; i < kNumCharacteristics; ++i) {
    const CharacteristicStatus& s = check.items[i];
    auto name = [i] { return std::string(kCharacteristicNames[i]); };
    if (c.exclude_cloud_washing && s.contradicted) {
      out.Add(Constraint::kCloudWashing, [&] {
        return "cloud-washing check: " + name() + " is claimed (" + std::string(EvidenceName(*s.claim_evidence)) + ") but the broker observed it fail at " +
               FormatRfc3339(*s.observed_at) + (s.detail.empty() ? "" : ": " + s.detail);
      });
    }
    if (!c.essential_characteristics) continue;
    if (!s.met) {
      out.Add(Constraint::kEssentialCharacteristics, [&] { return "essential characteristic " + name() + " not met (" + std::string(EvidenceName(s.evidence)) + ")"; });
    } else if (static_cast<int>(s.evidence) > static_cast<int>(*c.essential_characteristics)) {
      out.Add(Constraint::kEssentialCharacteristics, [&] {
        return "essential characteristic " + name() + " only " + std::string(EvidenceName(s.evidence)) + " (required " +
               std::string(EvidenceName(*c.essential_characteristics)) + " or stronger)";
      });
    }
  }
}

ConstraintSet ClaimViolations(const RankTable& table, size_t provider, const Constraints& c) {
  ConstraintSet out;
  // Without observations nothing is cloud-washing; each characteristic is
  // met on its claim, so the weakest claim decides.
  if (c.essential_characteristics && table.claim_floor[provider] > static_cast<int>(*c.essential_characteristics))
    out.Add(Constraint::kEssentialCharacteristics);
  return out;
}

}  // namespace icb
