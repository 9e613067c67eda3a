// Pricing a profile's monthly usage at a provider's offers. Costs are compared
// in the profile's currency; expected SLA credits, from the provider's
// measured history, lower the effective cost.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/catalog/catalog.h"
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

// The credit a provider's history suggests it will owe on a monthly bill.
inline double ExpectedCredit(double monthly, std::optional<double> credit_percent) {
  return credit_percent ? monthly * *credit_percent / 100.0 : 0.0;
}

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

// The profile's usage compiled against one rank table's offer columns: the
// same cheapest offer and the same monthly figure as EstimateCost (the same
// arithmetic in the same order), from flat arrays and without allocating.
class CostFilter {
 public:
  CostFilter(const CostRequirements& req, const RankTable& table);

  struct Cheapest {
    int offer = -1;  // index in the provider's offers; -1 when none can price the usage
    double monthly = 0;
    double rate = 1;
  };
  Cheapest Price(size_t provider) const;

  // The estimate EstimateCost gives for that offer.
  static CostEstimate Estimate(const Provider& provider, const Cheapest& c, std::optional<double> credit_percent);

 private:
  static constexpr uint32_t kUnpriced = UINT32_MAX;  // a unit no offer prices
  const RankTable& table_;
  std::vector<std::pair<uint32_t, double>> usage_;  // (unit, quantity), in the profile's unit order, quantities > 0
  std::vector<double> rates_;                       // per interned currency; NaN: no exchange rate
  double egress_gb_ = 0;
};

}  // namespace icb
