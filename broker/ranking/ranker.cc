#include "broker/ranking/ranker.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "broker/core/time.h"

namespace icb {

std::string FormatNumber(double v) {
  // Whole numbers print without ".0" ("400 > allowed 300"), others in the
  // shortest plain decimal that reads back to the same double (no exponent: prose).
  if (std::isfinite(v) && std::fabs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buf[400];  // fixed notation of any double fits
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}

}  // namespace

ExclusionReasons ConstraintViolations(const Provider& p, const TargetValues* targets, const Constraints& c, TimePoint now, bool words) {
  ExclusionReasons reasons;
  reasons.words = words;
  if (!c.service_models.empty() &&
      std::find(c.service_models.begin(), c.service_models.end(), p.service_model) == c.service_models.end()) {
    reasons.Add(Constraint::kServiceModels, [&] {
      std::vector<std::string> names;
      for (auto m : c.service_models) names.emplace_back(ServiceModelName(m));
      return "service model " + std::string(ServiceModelName(p.service_model)) + " not in required " + Join(names);
    });
  }
  if (!c.countries.empty()) {
    bool any = std::any_of(p.regions.begin(), p.regions.end(), [&](const Region& r) {
      return std::find(c.countries.begin(), c.countries.end(), r.country) != c.countries.end();
    });
    if (!any) {
      reasons.Add(Constraint::kCountries, [&] {
        std::vector<std::string> have;
        for (const auto& r : p.regions) have.push_back(r.id + " (" + r.country + ")");
        return "no region in required countries " + Join(c.countries) + "; regions: " + Join(have);
      });
    }
  }
  for (const auto& cert : c.certifications) {
    auto it = std::find_if(p.certifications.begin(), p.certifications.end(), [&](const Certification& h) { return h.id == cert; });
    if (it == p.certifications.end()) {
      reasons.Add(Constraint::kCertifications, [&] { return "certification " + cert + " required but not held"; });
    } else if (!it->InForce(now)) {
      reasons.Add(Constraint::kCertifications, [&] { return "certification " + cert + " expired at " + FormatRfc3339(*it->valid_until); });
    }
  }
  if (!c.targets.empty() && !targets) {
    reasons.Add(Constraint::kSla, [&] { return "no SLA in force at " + FormatRfc3339(now) + ", so no target constraint can be met"; });
    return reasons;
  }
  for (const auto& target : c.targets) {
    const auto index = target.first;
    const auto& bound = target.second;  // named, not a structured binding: lambdas below capture it
    const TargetSpec& spec = kTargets[index];
    const Constraint pointer = TargetConstraint(index);
    const auto& value = (*targets)[index];
    auto name = [&] { return std::string(spec.name); };
    if (!value) {
      reasons.Add(pointer, [&] {
        std::string required;
        if (bound.min) required += ">= " + FormatNumber(*bound.min);
        if (bound.max) required += std::string(required.empty() ? "" : " and ") + "<= " + FormatNumber(*bound.max);
        return name() + " not published (required " + required + ")";
      });
      continue;
    }
    if (bound.min && *value < *bound.min) reasons.Add(pointer, [&] { return name() + " " + FormatNumber(*value) + " < required " + FormatNumber(*bound.min); });
    if (bound.max && *value > *bound.max) reasons.Add(pointer, [&] { return name() + " " + FormatNumber(*value) + " > allowed " + FormatNumber(*bound.max); });
  }
  return reasons;
}

Result<RankResult> Rank(const CatalogSnapshot& catalog, const Profile& profile, const RankingPolicy& policy, TimePoint now,
                        size_t top_k, const RankInputs& inputs) {
  const MeasuredMap* measured = inputs.measured;
  RankResult result;
  result.policy = std::string(policy.name());
  result.policy_version = policy.version();
  result.at = now;

  // All-zero weights mean "no preference": equal criteria weights.
  double total = std::accumulate(profile.weights.begin(), profile.weights.end(), 0.0);
  for (int c = 0; c < kNumColumns; ++c) result.weights[c] = total > 0 ? profile.weights[c] / total : (c < kNumCriteria ? 1.0 / kNumCriteria : 0.0);

  // Whether the next excluded provider is listed, with its reasons in words.
  auto worded = [&] { return result.excluded.size() < inputs.worded_exclusions; };
  auto exclude = [&](const std::string& id, ExclusionReasons&& reasons) {
    result.exclusions.Count(reasons.constraints);
    if (reasons.words) result.excluded.push_back({id, std::move(reasons.reasons), reasons.constraints});
  };
  const bool cost_matters = profile.cost && (profile.weights[kCostColumn] > 0 || profile.cost->monthly_budget);
  const bool cloud_constrained = profile.constraints.exclude_cloud_washing || profile.constraints.essential_characteristics;
  static const std::vector<CharacteristicCheckEvent> kNoObservations;
  // The cloud-washing check runs only on providers that passed the other
  // constraints, and cost only on those that pass it too (most of a large
  // catalog fails early, and pricing is the costly part).
  const bool assessing = profile.cost || cloud_constrained || inputs.observations;
  // A candidate's cheapest offer; its estimate is written out for the
  // providers returned only.
  struct CandidateCost {
    CostFilter::Cheapest price;
    std::optional<double> credit_percent;
    double effective() const { return price.monthly - ExpectedCredit(price.monthly, credit_percent); }
  };
  std::vector<std::optional<CandidateCost>> costs;  // parallel to candidates when the profile has cost
  DecisionMatrix m;
  m.cols = kNumColumns;
  m.weights.assign(result.weights.begin(), result.weights.end());
  std::vector<EvidenceDetail> details;  // per candidate, evidence measured/both only
  const bool published_only = profile.evidence == EvidenceBasis::kPublished;
  if (!published_only && !measured) return InvalidArgument("measured evidence needs the QoS store");
  const Constraints& cons = profile.constraints;
  const bool unconstrained = cons.service_models.empty() && cons.countries.empty() && cons.certifications.empty() && cons.targets.empty() && !assessing;
  // The SLA in force and its scores, contiguous and kept between requests.
  const auto table = catalog.RankTableAt(now);
  // Candidates by index into catalog.providers, a decision-matrix row each.
  std::vector<uint32_t> chosen;
  const std::vector<uint32_t>* candidates = &chosen;
  // Unconstrained on published values: every provider with an SLA in force,
  // and the table already holds the matrix.
  const bool whole_table = published_only && unconstrained;
  if (whole_table) {
    candidates = &table->rows;
    m.view = table->cells.data();
    if (table->rows.size() < catalog.providers.size())
      for (size_t i = 0; i < catalog.providers.size(); ++i)
        if (!table->sla[i]) {
          ExclusionReasons reasons;
          reasons.words = worded();
          reasons.Add(Constraint::kSla, [&] { return "no SLA in force at " + FormatRfc3339(now); });
          exclude(catalog.providers[i].provider.id, std::move(reasons));
        }
  } else {
    chosen.reserve(catalog.providers.size());
    m.cells.reserve(catalog.providers.size() * kNumColumns);
  }
  const ConstraintFilter filter(profile.constraints, *table);
  std::optional<CostFilter> cost_filter;
  if (profile.cost) cost_filter.emplace(*profile.cost, *table);
  auto observations_of = [&](const Provider& p) -> const std::vector<CharacteristicCheckEvent>* {
    if (!inputs.observations) return nullptr;
    auto it = inputs.observations->find(p.id);
    return it == inputs.observations->end() ? nullptr : &it->second;
  };
  // Stages after the catalog's own constraints, for providers that passed
  // them: the cloud-washing check, then (for those that pass it too) cost.
  // An exclusion counts the constraints of the stage that excluded it.
  // In words, for the excluded an answer lists:
  auto word_assessment = [&](const Provider& p, ExclusionReasons& reasons) {
    if (cloud_constrained) {
      const auto* observed = observations_of(p);
      CloudViolations(CheckCloud(p, observed ? *observed : kNoObservations, now), profile.constraints, reasons);
      if (!reasons.empty()) return;
    }
    if (!profile.cost) return;
    CostOutcome cost = EstimateCost(p, *profile.cost, std::nullopt, reasons.words);
    if (!cost.estimate && cost_matters) {
      for (auto& r : cost.reasons) reasons.Add(Constraint::kCost, [&] { return "cost: " + r; });
    } else if (cost.estimate && profile.cost->monthly_budget && cost.estimate->monthly > *profile.cost->monthly_budget) {
      reasons.Add(Constraint::kMonthlyBudget, [&] {
        return "monthly cost " + FormatNumber(std::round(cost.estimate->monthly * 100) / 100) + " " + profile.cost->currency + " (offer " +
               cost.estimate->offer + ") exceeds the budget " + FormatNumber(*profile.cost->monthly_budget);
      });
    }
  };
  // From the table's columns, allocating nothing; the candidate's cheapest
  // offer goes with it.
  auto assess = [&](size_t i, const Provider& p, std::optional<CandidateCost>& cost, ExclusionReasons& reasons) {
    ConstraintSet failed;
    if (cloud_constrained) {
      if (const auto* observed = observations_of(p)) {
        ExclusionReasons cloud;
        cloud.words = false;
        CloudViolations(CheckCloud(p, *observed, now), profile.constraints, cloud);
        failed = cloud.constraints;
      } else {
        failed = ClaimViolations(*table, i, profile.constraints);
      }
    }
    std::optional<CostFilter::Cheapest> price;
    if (cost_filter && failed.empty()) {
      price = cost_filter->Price(i);
      if (price->offer < 0) {
        if (cost_matters) failed.Add(Constraint::kCost);
      } else if (profile.cost->monthly_budget && price->monthly > *profile.cost->monthly_budget) {
        failed.Add(Constraint::kMonthlyBudget);
      }
    }
    if (!failed.empty()) {
      if (reasons.words) word_assessment(p, reasons);  // the same constraints
      else reasons.constraints = failed;
      return;
    }
    if (price && price->offer >= 0) {
      cost.emplace(CandidateCost{*price, std::nullopt});
      if (inputs.credit_percent)
        if (auto it = inputs.credit_percent->find(p.id); it != inputs.credit_percent->end()) cost->credit_percent = it->second;
    }
  };
  size_t table_row = 0;  // the next provider with an SLA in force has this row of table->cells
  for (size_t i = 0; !whole_table && i < catalog.providers.size(); ++i) {
    const ProviderEntry& entry = catalog.providers[i];
    const SlaVersion* sla = table->sla[i];
    const double* published = sla ? &table->cells[table_row++ * kNumColumns] : nullptr;
    if (published_only) {
      ExclusionReasons reasons;
      reasons.words = false;
      reasons.constraints = filter.Failed(i, sla ? &table->targets[i * kNumTargets] : nullptr, now);
      // Words only for the excluded an answer lists.
      if (!reasons.empty() && worded()) reasons = ConstraintViolations(entry.provider, sla ? &sla->targets : nullptr, profile.constraints, now);
      reasons.words = worded();
      if (!sla && reasons.empty()) reasons.Add(Constraint::kSla, [&] { return "no SLA in force at " + FormatRfc3339(now); });
      std::optional<CandidateCost> cost;
      if (assessing && sla && reasons.empty()) assess(i, entry.provider, cost, reasons);
      if (!reasons.empty()) {
        exclude(entry.provider.id, std::move(reasons));
        continue;
      }
      chosen.push_back(static_cast<uint32_t>(i));
      if (profile.cost) costs.push_back(cost);
      m.cells.insert(m.cells.end(), published, published + kNumColumns);  // cost 0, filled in below
      continue;
    }
    // Measured evidence: the measurement where there is enough of it, else
    // the promise (marked); "both" takes the worse of the two per target.
    EvidenceDetail d;
    auto it = measured->find(entry.provider.id);
    if (it != measured->end()) {
      d.coverage_percent = it->second.coverage_percent;
      d.from = it->second.from;
      d.to = it->second.to;
    }
    d.sufficient = it != measured->end() && d.coverage_percent >= kMinMeasuredCoverage;
    TargetValues used{};
    int compared = 0, kept = 0;
    for (int t = 0; t < kNumTargets; ++t) {
      const TargetSpec& spec = kTargets[t];
      EvidenceTarget& et = d.targets[t];
      if (sla) et.published = sla->targets[t];
      if (d.sufficient) et.measured = it->second.values[t];
      if (et.published && et.measured) {
        et.kept = PromiseKept(spec, *et.published, *et.measured);
        ++compared;
        kept += *et.kept;
      }
      if (profile.evidence == EvidenceBasis::kMeasured) et.used = et.measured ? et.measured : et.published;
      else if (et.published && et.measured) et.used = spec.higher_is_better ? std::min(*et.published, *et.measured) : std::max(*et.published, *et.measured);
      else et.used = et.measured ? et.measured : et.published;
      used[t] = et.used;
      et.score = et.used ? NormaliseTarget(spec, *et.used) : 0.0;
    }
    if (compared > 0) d.promise_kept = static_cast<double>(kept) / compared;
    bool anything = sla || d.sufficient;
    std::array<double, kNumTargets> used_values;
    TargetsAsDoubles(used, used_values.data());
    ExclusionReasons reasons;
    reasons.words = false;
    reasons.constraints = filter.Failed(i, anything ? used_values.data() : nullptr, now);
    if (!reasons.empty() && worded()) reasons = ConstraintViolations(entry.provider, anything ? &used : nullptr, profile.constraints, now);
    reasons.words = worded();
    if (!anything && reasons.empty()) {
      reasons.Add(Constraint::kSla, [&] { return "no SLA in force and too little measurement (coverage " + FormatNumber(std::round(d.coverage_percent * 100) / 100) + " %)"; });
    }
    std::optional<CandidateCost> cost;
    if (assessing && reasons.empty()) assess(i, entry.provider, cost, reasons);
    if (!reasons.empty()) {
      exclude(entry.provider.id, std::move(reasons));
      continue;
    }
    std::array<double, kNumCriteria> criterion{};
    std::array<int, kNumCriteria> count{};
    for (int t = 0; t < kNumTargets; ++t) {
      int c = static_cast<int>(kTargets[t].criterion);
      // Management checks count by the confidence of their evidence, as in the published scores.
      double confidence = 1.0;
      if (sla && kTargets[t].checklist)
        confidence = EvidenceConfidence(sla->ChecklistEvidence(kTargets[t].name));
      criterion[c] += d.targets[t].score * confidence;
      ++count[c];
    }
    for (int c = 0; c < kNumCriteria; ++c) m.cells.push_back(criterion[c] / count[c]);
    m.cells.push_back(0.0);  // cost, filled in below
    chosen.push_back(static_cast<uint32_t>(i));
    if (profile.cost) costs.push_back(cost);
    details.push_back(std::move(d));
  }
  m.rows = candidates->size();
  // Cost scores relative to the cheapest candidate (lowest / own, the usual
  // procurement price score): a dearer provider added never changes the others'.
  double cheapest = INFINITY;
  for (const auto& c : costs)
    if (c) cheapest = std::min(cheapest, c->effective());
  for (size_t r = 0; r < costs.size(); ++r) {
    if (!costs[r]) continue;
    const double effective = costs[r]->effective();
    m.cells[r * m.cols + kCostColumn] = effective <= 0 ? 1.0 : std::max(cheapest, 0.0) / effective;
  }
  ICB_ASSIGN_OR_RETURN(PolicyScores scores, policy.Score(m, profile));
  if (!scores.weights.empty()) std::copy(scores.weights.begin(), scores.weights.end(), result.weights.begin());
  result.consistency_ratio = scores.consistency_ratio;

  // Higher score first; equal scores in provider-id order, so ties are
  // deterministic. Rows follow catalog.providers, which is in id order: the
  // lower row is the lower id.
  const size_t rows = candidates->size();
  const size_t n = top_k == 0 ? rows : std::min(top_k, rows);
  auto before = [&](uint32_t a, uint32_t b) {
    if (scores.scores[a] != scores.scores[b]) return scores.scores[a] > scores.scores[b];
    return a < b;
  };
  std::vector<uint32_t> order;
  if (n <= 64 && n < rows) {
    // A short list (the usual top 10): one pass, most rows settled by a
    // single comparison with the current last place.
    order.reserve(n + 1);
    for (uint32_t row = 0; row < rows; ++row) {
      if (order.size() == n && !before(row, order.back())) continue;
      order.insert(std::upper_bound(order.begin(), order.end(), row, before), row);
      if (order.size() > n) order.pop_back();
    }
  } else {
    order.resize(rows);
    std::iota(order.begin(), order.end(), uint32_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), before);
  }
  auto id_of = [&](size_t row) -> const std::string& { return catalog.providers[(*candidates)[row]].provider.id; };
  result.ranking.reserve(n);

  // Explanations only for what is returned.
  for (size_t i = 0; i < n; ++i) {
    size_t row = order[i];
    RankedProvider r;
    r.provider = id_of(row);
    r.rank = static_cast<int>(i + 1);
    r.score = scores.scores[row];
    r.sla = table->sla[(*candidates)[row]];
    std::array<double, kNumColumns> contribution{};
    if (scores.contributions) scores.contributions(row, contribution.data());
    for (int c = 0; c < kNumColumns; ++c) {
      r.criteria[c].score = m.at(row, c);
      r.criteria[c].weight = result.weights[c];
      r.criteria[c].contribution = contribution[c];
    }
    if (!published_only) r.evidence = details[row];
    const Provider& provider = catalog.providers[(*candidates)[row]].provider;
    if (!costs.empty() && costs[row]) r.cost = CostFilter::Estimate(provider, costs[row]->price, costs[row]->credit_percent);
    if (cloud_constrained || inputs.observations) {
      const auto* observed = observations_of(provider);
      r.cloud = CheckCloud(provider, observed ? *observed : kNoObservations, now);
    }
    result.ranking.push_back(std::move(r));
  }
  return result;
}

}  // namespace icb
