#include "broker/ranking/cost.h"

#include <algorithm>

#include "broker/ranking/ranker.h"

namespace icb {

OfferPrice PriceOffer(const Offer& offer, const CostRequirements& req, bool words) {
  double monthly = offer.fixed_fee * PeriodsPerMonth(offer.billing_period);
  for (const auto& [unit, quantity] : req.usage) {
    if (quantity == 0) continue;
    auto price = offer.unit_prices.find(unit);
    if (price == offer.unit_prices.end()) return {std::nullopt, words ? "offer " + offer.id + " has no price for " + unit : std::string()};
    monthly += quantity * price->second;
  }
  monthly += std::max(0.0, req.egress_gb - offer.egress_free_gb) * offer.egress_per_gb;
  return {monthly, ""};
}

CostOutcome EstimateCost(const Provider& provider, const CostRequirements& req, std::optional<double> credit_percent, bool words) {
  CostOutcome out;
  if (provider.offers.empty()) {
    out.reasons.push_back(words ? "no offers published, so the cost cannot be estimated" : "");
    return out;
  }
  for (const auto& offer : provider.offers) {
    double rate = 1;
    if (offer.currency != req.currency) {
      auto r = req.exchange_rates.find(offer.currency);
      if (r == req.exchange_rates.end()) {
        out.reasons.push_back(words ? "offer " + offer.id + " is in " + offer.currency + " and the profile gives no exchange rate to " + req.currency : "");
        continue;
      }
      rate = r->second;
    }
    OfferPrice price = PriceOffer(offer, req, words);
    if (!price.monthly) {
      out.reasons.push_back(price.reason);
      continue;
    }
    double monthly = *price.monthly * rate;
    if (out.estimate && monthly >= out.estimate->monthly) continue;  // ties: the first listed
    CostEstimate e;
    e.offer = offer.id;
    e.offer_currency = offer.currency;
    e.rate = rate;
    e.monthly = monthly;
    e.credit_percent = credit_percent;
    e.expected_credit = credit_percent ? monthly * *credit_percent / 100.0 : 0.0;
    e.effective = monthly - e.expected_credit;
    out.estimate = e;
  }
  if (out.estimate) out.reasons.clear();
  return out;
}

}  // namespace icb
