// Pricing a profile's monthly usage at a provider's offers. Costs are compared
// in the profile's currency; expected SLA credits, from the provider's
// measured history, lower the effective cost.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/model/documents.h"

namespace icb {

struct CostEstimate {
  std::string offer;  // the offer priced
  std::string offer_currency;
  double rate = 1;                       // profile currency per unit of the offer's
  double monthly = 0;                    // billed per month, profile currency
  std::optional<double> credit_percent;  // expected credit, % of the bill (mean of recent months)
  double expected_credit = 0;            // monthly * credit_percent / 100
  double effective = 0;                  // monthly - expected_credit
};

struct CostOutcome {
  std::optional<CostEstimate> estimate;  // the cheapest offer that prices every unit used
  std::vector<std::string> reasons;      // why each offer does not apply, when none does
};

// `credit_percent`: the credit the provider's measured history suggests it
// will owe (nullopt: no history; the effective cost is the bill).
// `words`: reasons in words (else one empty reason per failing offer, which
// a rank over a large catalog only counts).
CostOutcome EstimateCost(const Provider& provider, const CostRequirements& req, std::optional<double> credit_percent, bool words = true);

// One offer's monthly bill in its own currency, or why it cannot price the usage.
struct OfferPrice {
  std::optional<double> monthly;
  std::string reason;
};
OfferPrice PriceOffer(const Offer& offer, const CostRequirements& req, bool words = true);

}  // namespace icb
