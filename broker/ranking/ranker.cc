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

namespace {

// One ranking, in named phases: Weigh -> Filter (each provider's
// constraints and evidence, a decision-matrix row for each candidate) ->
// PriceCost -> Score -> Order -> Explain (words only for what is returned).
class Ranking {
 public:
  Ranking(const CatalogSnapshot& catalog, const Profile& profile, const RankingPolicy& policy, TimePoint now, size_t top_k,
          const RankInputs& inputs)
      : catalog_(catalog),
        profile_(profile),
        policy_(policy),
        now_(now),
        top_k_(top_k),
        inputs_(inputs),
        table_(catalog.RankTableAt(now)),
        filter_(profile.constraints, *table_),
        cost_matters_(profile.cost && (profile.weights[kCostColumn] > 0 || profile.cost->monthly_budget)),
        cloud_constrained_(profile.constraints.exclude_cloud_washing || profile.constraints.essential_characteristics),
        // The cloud-washing check runs only on providers that passed the
        // other constraints, and cost only on those that pass it too (most
        // of a large catalog fails early, and pricing is the costly part).
        assessing_(profile.cost || cloud_constrained_ || inputs.observations),
        published_only_(profile.evidence == EvidenceBasis::kPublished) {
    if (profile.cost) cost_filter_.emplace(*profile.cost, *table_);
  }

  Result<RankResult> Run() {
    if (!published_only_ && !inputs_.measured) return InvalidArgument("measured evidence needs the QoS store");
    Weigh();
    Filter();
    PriceCost();
    ICB_ASSIGN_OR_RETURN(PolicyScores scores, policy_.Score(m_, profile_));
    if (!scores.weights.empty()) std::copy(scores.weights.begin(), scores.weights.end(), result_.weights.begin());
    result_.consistency_ratio = scores.consistency_ratio;
    Explain(scores, Order(scores));
    return std::move(result_);
  }

 private:
  // A candidate's cheapest offer; its estimate is written out for the
  // providers returned only.
  struct CandidateCost {
    CostFilter::Cheapest price;
    std::optional<double> credit_percent;
    double effective() const { return price.monthly - ExpectedCredit(price.monthly, credit_percent); }
  };

  // All-zero weights mean "no preference": equal criteria weights.
  void Weigh() {
    result_.policy = std::string(policy_.name());
    result_.policy_version = policy_.version();
    result_.at = now_;
    const double total = std::accumulate(profile_.weights.begin(), profile_.weights.end(), 0.0);
    for (int c = 0; c < kNumColumns; ++c)
      result_.weights[c] = total > 0 ? profile_.weights[c] / total : (c < kNumCriteria ? 1.0 / kNumCriteria : 0.0);
    m_.cols = kNumColumns;
    m_.weights.assign(result_.weights.begin(), result_.weights.end());
  }

  // Whether the next excluded provider is listed, with its reasons in words.
  bool Worded() const { return result_.excluded.size() < inputs_.worded_exclusions; }
  void Exclude(const std::string& id, ExclusionReasons&& reasons) {
    result_.exclusions.Count(reasons.constraints);
    if (reasons.words) result_.excluded.push_back({id, std::move(reasons.reasons), reasons.constraints});
  }

  // Every provider through the constraints; the candidates' rows.
  void Filter() {
    const Constraints& cons = profile_.constraints;
    const bool unconstrained =
        cons.service_models.empty() && cons.countries.empty() && cons.certifications.empty() && cons.targets.empty() && !assessing_;
    // Unconstrained on published values: every provider with an SLA in
    // force, and the table already holds the matrix.
    if (published_only_ && unconstrained) {
      candidates_ = &table_->rows;
      m_.view = table_->cells.data();
      if (table_->rows.size() < catalog_.providers.size())
        for (size_t i = 0; i < catalog_.providers.size(); ++i)
          if (!table_->sla[i]) {
            ExclusionReasons reasons;
            reasons.words = Worded();
            reasons.Add(Constraint::kSla, [&] { return "no SLA in force at " + FormatRfc3339(now_); });
            Exclude(catalog_.providers[i].provider.id, std::move(reasons));
          }
    } else {
      chosen_.reserve(catalog_.providers.size());
      m_.cells.reserve(catalog_.providers.size() * kNumColumns);
      size_t table_row = 0;  // the next provider with an SLA in force has this row of table_->cells
      for (size_t i = 0; i < catalog_.providers.size(); ++i) {
        const double* published = table_->sla[i] ? &table_->cells[table_row++ * kNumColumns] : nullptr;
        if (published_only_) FilterOnPublished(i, published);
        else FilterOnMeasured(i);
      }
    }
    m_.rows = candidates_->size();
  }

  void Admit(size_t i, const std::optional<CandidateCost>& cost) {
    chosen_.push_back(static_cast<uint32_t>(i));
    if (profile_.cost) costs_.push_back(cost);
  }

  void FilterOnPublished(size_t i, const double* published) {
    const ProviderEntry& entry = catalog_.providers[i];
    const SlaVersion* sla = table_->sla[i];
    ExclusionReasons reasons;
    reasons.words = false;
    reasons.constraints = filter_.Failed(i, sla ? &table_->targets[i * kNumTargets] : nullptr, now_);
    // Words only for the excluded an answer lists.
    if (!reasons.empty() && Worded())
      reasons = ConstraintViolations(entry.provider, sla ? &sla->targets : nullptr, profile_.constraints, now_);
    reasons.words = Worded();
    if (!sla && reasons.empty()) reasons.Add(Constraint::kSla, [&] { return "no SLA in force at " + FormatRfc3339(now_); });
    std::optional<CandidateCost> cost;
    if (assessing_ && sla && reasons.empty()) Assess(i, entry.provider, cost, reasons);
    if (!reasons.empty()) return Exclude(entry.provider.id, std::move(reasons));
    Admit(i, cost);
    m_.cells.insert(m_.cells.end(), published, published + kNumColumns);  // cost 0, filled in by PriceCost
  }

  // Measured evidence: the measurement where there is enough of it, else
  // the promise (marked); "both" takes the worse of the two per target.
  EvidenceDetail Evidence(const ProviderEntry& entry, const SlaVersion* sla, TargetValues& used) const {
    EvidenceDetail d;
    const MeasuredTargets* m = inputs_.measured->Find(entry.provider.id);
    d.from = m ? m->from : inputs_.measured->from;
    d.to = m ? m->to : inputs_.measured->to;
    if (m) d.coverage_percent = m->coverage_percent;
    d.sufficient = m && d.coverage_percent >= kMinMeasuredCoverage;
    int compared = 0, kept = 0;
    for (int t = 0; t < kNumTargets; ++t) {
      const TargetSpec& spec = kTargets[t];
      EvidenceTarget& et = d.targets[t];
      if (sla) et.published = sla->targets[t];
      if (d.sufficient) et.measured = m->values[t];
      if (et.published && et.measured) {
        et.kept = PromiseKept(spec, *et.published, *et.measured);
        ++compared;
        kept += *et.kept;
      }
      if (profile_.evidence == EvidenceBasis::kMeasured) et.used = et.measured ? et.measured : et.published;
      else if (et.published && et.measured) et.used = spec.higher_is_better ? std::min(*et.published, *et.measured) : std::max(*et.published, *et.measured);
      else et.used = et.measured ? et.measured : et.published;
      used[t] = et.used;
      et.score = et.used ? NormaliseTarget(spec, *et.used) : 0.0;
    }
    if (compared > 0) d.promise_kept = static_cast<double>(kept) / compared;
    return d;
  }

  void FilterOnMeasured(size_t i) {
    const ProviderEntry& entry = catalog_.providers[i];
    const SlaVersion* sla = table_->sla[i];
    TargetValues used{};
    EvidenceDetail d = Evidence(entry, sla, used);
    const bool anything = sla || d.sufficient;
    std::array<double, kNumTargets> used_values;
    TargetsAsDoubles(used, used_values.data());
    ExclusionReasons reasons;
    reasons.words = false;
    reasons.constraints = filter_.Failed(i, anything ? used_values.data() : nullptr, now_);
    if (!reasons.empty() && Worded()) reasons = ConstraintViolations(entry.provider, anything ? &used : nullptr, profile_.constraints, now_);
    reasons.words = Worded();
    if (!anything && reasons.empty()) {
      reasons.Add(Constraint::kSla, [&] {
        return "no SLA in force and too little measurement (coverage " + FormatNumber(std::round(d.coverage_percent * 100) / 100) + " %)";
      });
    }
    std::optional<CandidateCost> cost;
    if (assessing_ && reasons.empty()) Assess(i, entry.provider, cost, reasons);
    if (!reasons.empty()) return Exclude(entry.provider.id, std::move(reasons));
    std::array<double, kNumCriteria> criterion{};
    std::array<int, kNumCriteria> count{};
    for (int t = 0; t < kNumTargets; ++t) {
      int c = static_cast<int>(kTargets[t].criterion);
      // Management checks count by the confidence of their evidence, as in the published scores.
      double confidence = 1.0;
      if (sla && kTargets[t].checklist) confidence = EvidenceConfidence(sla->ChecklistEvidence(kTargets[t].name));
      criterion[c] += d.targets[t].score * confidence;
      ++count[c];
    }
    for (int c = 0; c < kNumCriteria; ++c) m_.cells.push_back(criterion[c] / count[c]);
    m_.cells.push_back(0.0);  // cost, filled in by PriceCost
    Admit(i, cost);
    details_.push_back(std::move(d));
  }

  const std::vector<CharacteristicCheckEvent>* ObservationsOf(const Provider& p) const {
    if (!inputs_.observations) return nullptr;
    auto it = inputs_.observations->find(p.id);
    return it == inputs_.observations->end() ? nullptr : &it->second;
  }

  // The stages after the catalog's own constraints, for providers that
  // passed them: the cloud-washing check, then (for those that pass it too)
  // cost. From the table's columns, allocating nothing; the candidate's
  // cheapest offer goes with it. An exclusion counts the constraints of the
  // stage that excluded it.
  void Assess(size_t i, const Provider& p, std::optional<CandidateCost>& cost, ExclusionReasons& reasons) const {
    ConstraintSet failed;
    if (cloud_constrained_) {
      if (const auto* observed = ObservationsOf(p)) {
        ExclusionReasons cloud;
        cloud.words = false;
        CloudViolations(CheckCloud(p, *observed, now_), profile_.constraints, cloud);
        failed = cloud.constraints;
      } else {
        failed = ClaimViolations(*table_, i, profile_.constraints);
      }
    }
    std::optional<CostFilter::Cheapest> price;
    if (cost_filter_ && failed.empty()) {
      price = cost_filter_->Price(i);
      if (price->offer < 0) {
        if (cost_matters_) failed.Add(Constraint::kCost);
      } else if (profile_.cost->monthly_budget && price->monthly > *profile_.cost->monthly_budget) {
        failed.Add(Constraint::kMonthlyBudget);
      }
    }
    if (!failed.empty()) {
      if (reasons.words) WordAssessment(p, reasons);  // the same constraints
      else reasons.constraints = failed;
      return;
    }
    if (price && price->offer >= 0) {
      cost.emplace(CandidateCost{*price, std::nullopt});
      if (inputs_.credit_percent)
        if (auto it = inputs_.credit_percent->find(p.id); it != inputs_.credit_percent->end()) cost->credit_percent = it->second;
    }
  }

  // The same stages in words, for the excluded an answer lists.
  void WordAssessment(const Provider& p, ExclusionReasons& reasons) const {
    static const std::vector<CharacteristicCheckEvent> kNoObservations;
    if (cloud_constrained_) {
      const auto* observed = ObservationsOf(p);
      CloudViolations(CheckCloud(p, observed ? *observed : kNoObservations, now_), profile_.constraints, reasons);
      if (!reasons.empty()) return;
    }
    if (!profile_.cost) return;
    CostOutcome cost = EstimateCost(p, *profile_.cost, std::nullopt, reasons.words);
    if (!cost.estimate && cost_matters_) {
      for (auto& r : cost.reasons) reasons.Add(Constraint::kCost, [&] { return "cost: " + r; });
    } else if (cost.estimate && profile_.cost->monthly_budget && cost.estimate->monthly > *profile_.cost->monthly_budget) {
      reasons.Add(Constraint::kMonthlyBudget, [&] {
        return "monthly cost " + FormatNumber(std::round(cost.estimate->monthly * 100) / 100) + " " + profile_.cost->currency + " (offer " +
               cost.estimate->offer + ") exceeds the budget " + FormatNumber(*profile_.cost->monthly_budget);
      });
    }
  }

  // Cost scores relative to the cheapest candidate (lowest / own, the usual
  // procurement price score): a dearer provider added never changes the others'.
  void PriceCost() {
    double cheapest = INFINITY;
    for (const auto& c : costs_)
      if (c) cheapest = std::min(cheapest, c->effective());
    for (size_t r = 0; r < costs_.size(); ++r) {
      if (!costs_[r]) continue;
      const double effective = costs_[r]->effective();
      m_.cells[r * m_.cols + kCostColumn] = effective <= 0 ? 1.0 : std::max(cheapest, 0.0) / effective;
    }
  }

  // The top k rows: higher score first; equal scores in provider-id order,
  // so ties are deterministic. Rows follow catalog.providers, which is in
  // id order: the lower row is the lower id.
  std::vector<uint32_t> Order(const PolicyScores& scores) const {
    const size_t rows = candidates_->size();
    const size_t n = top_k_ == 0 ? rows : std::min(top_k_, rows);
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
      order.resize(n);
    }
    return order;
  }

  // Explanations only for what is returned.
  void Explain(const PolicyScores& scores, const std::vector<uint32_t>& order) {
    static const std::vector<CharacteristicCheckEvent> kNoObservations;
    result_.ranking.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const size_t row = order[i];
      const Provider& provider = catalog_.providers[(*candidates_)[row]].provider;
      RankedProvider r;
      r.provider = provider.id;
      r.rank = static_cast<int>(i + 1);
      r.score = scores.scores[row];
      r.sla = table_->sla[(*candidates_)[row]];
      std::array<double, kNumColumns> contribution{};
      if (scores.contributions) scores.contributions(row, contribution.data());
      for (int c = 0; c < kNumColumns; ++c) {
        r.criteria[c].score = m_.at(row, c);
        r.criteria[c].weight = result_.weights[c];
        r.criteria[c].contribution = contribution[c];
      }
      if (!published_only_) r.evidence = details_[row];
      if (!costs_.empty() && costs_[row]) r.cost = CostFilter::Estimate(provider, costs_[row]->price, costs_[row]->credit_percent);
      if (cloud_constrained_ || inputs_.observations) {
        const auto* observed = ObservationsOf(provider);
        r.cloud = CheckCloud(provider, observed ? *observed : kNoObservations, now_);
      }
      result_.ranking.push_back(std::move(r));
    }
  }

  const CatalogSnapshot& catalog_;
  const Profile& profile_;
  const RankingPolicy& policy_;
  const TimePoint now_;
  const size_t top_k_;
  const RankInputs& inputs_;
  // The SLA in force and its scores, contiguous and kept between requests.
  const std::shared_ptr<const RankTable> table_;
  const ConstraintFilter filter_;
  std::optional<CostFilter> cost_filter_;
  const bool cost_matters_, cloud_constrained_, assessing_, published_only_;

  RankResult result_;
  DecisionMatrix m_;
  // Candidates by index into catalog.providers, a decision-matrix row each.
  std::vector<uint32_t> chosen_;
  const std::vector<uint32_t>* candidates_ = &chosen_;
  std::vector<std::optional<CandidateCost>> costs_;  // parallel to the candidates when the profile has cost
  std::vector<EvidenceDetail> details_;              // per candidate, evidence measured/both only
};

}  // namespace

Result<RankResult> Rank(const CatalogSnapshot& catalog, const Profile& profile, const RankingPolicy& policy, TimePoint now,
                        size_t top_k, const RankInputs& inputs) {
  return Ranking(catalog, profile, policy, now, top_k, inputs).Run();
}

}  // namespace icb
