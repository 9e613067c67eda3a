#include "broker/ranking/cost.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
    out.estimate = CostFilter::Estimate(provider, {static_cast<int>(&offer - provider.offers.data()), monthly, rate}, credit_percent);
  }
  if (out.estimate) out.reasons.clear();
  return out;
}

CostFilter::CostFilter(const CostRequirements& req, const RankTable& table) : table_(table), egress_gb_(req.egress_gb) {
  for (const auto& [unit, quantity] : req.usage) {
    if (quantity == 0) continue;
    auto it = table.unit_ids.find(unit);
    usage_.emplace_back(it == table.unit_ids.end() ? kUnpriced : it->second, quantity);
  }
  rates_.assign(table.currency_ids.size(), std::numeric_limits<double>::quiet_NaN());
  for (const auto& [currency, id] : table.currency_ids) {
    if (currency == req.currency) rates_[id] = 1;
    else if (auto r = req.exchange_rates.find(currency); r != req.exchange_rates.end()) rates_[id] = r->second;
  }
}

CostFilter::Cheapest CostFilter::Price(size_t provider) const {
  Cheapest best;
  for (uint32_t o = table_.offer_begin[provider]; o < table_.offer_begin[provider + 1]; ++o) {
    const auto& offer = table_.offers[o];
    const double rate = rates_[offer.currency];
    if (std::isnan(rate)) continue;
    double monthly = offer.fixed_monthly;
    bool priced = true;
    const uint32_t begin = offer.price_begin, end = table_.offers[o + 1].price_begin;
    for (const auto& [unit, quantity] : usage_) {
      uint32_t k = begin;
      while (k < end && table_.price_units[k] != unit) ++k;
      if (k == end) {
        priced = false;
        break;
      }
      monthly += quantity * table_.prices[k];
    }
    if (!priced) continue;
    monthly += std::max(0.0, egress_gb_ - offer.egress_free_gb) * offer.egress_per_gb;
    monthly *= rate;
    if (best.offer >= 0 && monthly >= best.monthly) continue;  // ties: the first listed
    best = {static_cast<int>(o - table_.offer_begin[provider]), monthly, rate};
  }
  return best;
}

CostEstimate CostFilter::Estimate(const Provider& provider, const Cheapest& c, std::optional<double> credit_percent) {
  const Offer& offer = provider.offers[static_cast<size_t>(c.offer)];
  CostEstimate e;
  e.offer = offer.id;
  e.offer_currency = offer.currency;
  e.rate = c.rate;
  e.monthly = c.monthly;
  e.credit_percent = credit_percent;
  e.expected_credit = ExpectedCredit(c.monthly, credit_percent);
  e.effective = c.monthly - e.expected_credit;
  return e;
}

}  // namespace icb
