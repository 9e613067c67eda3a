// The cloud-washing check (reference 7): each essential characteristic is met
// or not on the strongest evidence there is. The broker's own observation
// outweighs any certificate, document or declaration; a characteristic the
// provider claims but the broker saw fail is a contradiction, and flags it.
#pragma once

#include "broker/ranking/exclusion.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/catalog/catalog.h"
#include "broker/model/documents.h"
#include "broker/model/qos.h"

namespace icb {

struct CharacteristicStatus {
  bool met = false;
  Evidence evidence = Evidence::kUnknown;  // of the deciding evidence
  bool claimed = false;                    // the provider claims it
  std::optional<Evidence> claim_evidence;
  bool contradicted = false;               // claimed, but observed to fail
  std::optional<TimePoint> observed_at;
  std::string detail;                      // the observation's
};

struct CloudCheck {
  std::array<CharacteristicStatus, kNumCharacteristics> items;
  bool flagged = false;  // any contradiction
  bool secured = false;  // all six met, on any evidence (seed 000: 필수특성 확보)
};

using ObservationMap = std::map<std::string, std::vector<CharacteristicCheckEvent>, std::less<>>;

// Observations after `now` are ignored; the latest before it decides.
CloudCheck CheckCloud(const Provider& provider, const std::vector<CharacteristicCheckEvent>& observations, TimePoint now);

// The profile's cloud-washing constraints, as exclusion reasons.
// Adds to `out` (in words when out.words) each failure against
// exclude_cloud_washing and essential_characteristics.
void CloudViolations(const CloudCheck& check, const Constraints& c, ExclusionReasons& out);

// The same constraints for a provider the broker never observed (its claims
// decide, and nothing is contradicted), from the rank table's claim columns.
ConstraintSet ClaimViolations(const RankTable& table, size_t provider, const Constraints& c);

}  // namespace icb
