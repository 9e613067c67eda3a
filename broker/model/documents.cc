#include "broker/model/documents.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "broker/core/json_writer.h"
#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kServiceModels = {"IaaS", "PaaS", "SaaS"};
constexpr std::array<std::string_view, 5> kEvidence = {"observed", "certified", "documented", "declared", "unknown"};

template <typename E, size_t N>
std::optional<E> FromNames(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

Result<TimePoint> Time(const json& doc, const char* key, const std::string& pointer) {
  auto t = ParseRfc3339(doc.at(key).get<std::string>());
  if (!t) return InvalidArgument("invalid date-time", {{pointer, "not a valid RFC 3339 date-time"}});
  return *t;
}

std::string Str(const json& doc, const char* key) { return doc.contains(key) ? doc[key].get<std::string>() : std::string(); }

}  // namespace

std::string_view ServiceModelName(ServiceModel m) { return kServiceModels[static_cast<int>(m)]; }
std::optional<ServiceModel> ServiceModelFromName(std::string_view s) { return FromNames<ServiceModel>(kServiceModels, s); }
std::string_view EvidenceName(Evidence e) { return kEvidence[static_cast<int>(e)]; }
std::optional<Evidence> EvidenceFromName(std::string_view s) { return FromNames<Evidence>(kEvidence, s); }
double EvidenceConfidence(Evidence e) {
  static constexpr std::array<double, 5> confidence = {1.0, 0.9, 0.75, 0.5, 0.0};
  return confidence[static_cast<int>(e)];
}
std::optional<Characteristic> CharacteristicFromName(std::string_view s) { return FromNames<Characteristic>(kCharacteristicNames, s); }
std::string_view BillingPeriodName(BillingPeriod b) {
  static constexpr std::array<std::string_view, 3> names = {"hour", "month", "year"};
  return names[static_cast<int>(b)];
}
double PeriodsPerMonth(BillingPeriod b) {
  switch (b) {
    case BillingPeriod::kHour: return 730.0;
    case BillingPeriod::kMonth: return 1.0;
    case BillingPeriod::kYear: return 1.0 / 12.0;
  }
  return 1.0;
}
std::string_view EvidenceBasisName(EvidenceBasis b) {
  static constexpr std::array<std::string_view, 3> names = {"published", "measured", "both"};
  return names[static_cast<int>(b)];
}

Result<Provider> ProviderFromJson(const json& doc) {
  Provider p;
  p.id = doc.at("id").get<std::string>();
  p.name = doc.at("name").get<std::string>();
  p.description = Str(doc, "description");
  p.service_model = *ServiceModelFromName(doc.at("service_model").get<std::string>());
  for (const auto& r : doc.at("regions")) p.regions.push_back({r.at("id").get<std::string>(), r.at("country").get<std::string>()});
  if (doc.contains("certifications")) {
    for (size_t i = 0; i < doc["certifications"].size(); ++i) {
      const auto& c = doc["certifications"][i];
      Certification cert{c.at("id").get<std::string>(), Str(c, "issuer"), Str(c, "scope"), std::nullopt};
      if (c.contains("valid_until")) {
        ICB_ASSIGN_OR_RETURN(cert.valid_until, Time(c, "valid_until", "/certifications/" + std::to_string(i) + "/valid_until"));
      }
      p.certifications.push_back(std::move(cert));
    }
  }
  if (doc.contains("endpoints")) {
    for (const auto& e : doc["endpoints"]) {
      Endpoint ep{e.at("id").get<std::string>(), e.at("url").get<std::string>(), {}};
      if (auto pr = e.find("probe"); pr != e.end()) {
        ep.probe.enabled = pr->value("enabled", true);
        if (pr->contains("interval_s")) ep.probe.interval = Millis(std::llround((*pr)["interval_s"].get<double>() * 1000));
        if (pr->contains("timeout_s")) ep.probe.timeout = Millis(std::llround((*pr)["timeout_s"].get<double>() * 1000));
        if (pr->contains("expect_status")) ep.probe.expect_status = (*pr)["expect_status"].get<std::vector<int>>();
        ep.probe.expect_body = pr->value("expect_body", "");
      }
      p.endpoints.push_back(std::move(ep));
    }
  }
  if (doc.contains("adapters")) {
    for (const auto& [cap, ref] : doc["adapters"].items()) {
      AdapterRef r{ref.at("adapter").get<std::string>(), ref.value("credentials", ""), ref.contains("config") ? ref["config"].dump() : "{}", {}};
      if (ref.contains("calls_in_flight")) r.calls_in_flight = ref["calls_in_flight"].get<int>();
      p.adapters[cap] = std::move(r);
    }
  }
  if (doc.contains("characteristics")) {
    for (const auto& [name, claim] : doc["characteristics"].items()) {
      CharacteristicClaim c;
      c.supported = claim.at("supported").get<bool>();
      c.evidence = *EvidenceFromName(claim.at("evidence").get<std::string>());
      c.source = Str(claim, "source");
      p.characteristics[static_cast<int>(*CharacteristicFromName(name))] = std::move(c);
    }
  }
  if (doc.contains("offers")) {
    std::set<std::string> ids;
    for (size_t i = 0; i < doc["offers"].size(); ++i) {
      const json& o = doc["offers"][i];
      Offer offer;
      offer.id = o.at("id").get<std::string>();
      if (!ids.insert(offer.id).second) return InvalidArgument("duplicate offer", {{"/offers/" + std::to_string(i) + "/id", "offer id \"" + offer.id + "\" is used twice"}});
      offer.name = Str(o, "name");
      offer.currency = o.at("currency").get<std::string>();
      std::string period = o.at("billing_period").get<std::string>();
      offer.billing_period = period == "hour" ? BillingPeriod::kHour : period == "year" ? BillingPeriod::kYear : BillingPeriod::kMonth;
      offer.fixed_fee = o.value("fixed_fee", 0.0);
      if (o.contains("unit_prices"))
        for (const auto& [unit, price] : o["unit_prices"].items()) offer.unit_prices[unit] = price.get<double>();
      offer.egress_per_gb = o.value("egress_per_gb", 0.0);
      offer.egress_free_gb = o.value("egress_free_gb", 0.0);
      p.offers.push_back(std::move(offer));
    }
  }
  return p;
}

Result<SlaVersion> SlaFromJson(const json& doc) {
  SlaVersion s;
  s.version = doc.at("version").get<std::string>();
  ICB_ASSIGN_OR_RETURN(s.effective_from, Time(doc, "effective_from", "/effective_from"));
  const json& targets = doc.at("targets");
  for (int i = 0; i < kNumTargets; ++i) {
    const TargetSpec& spec = kTargets[i];
    auto it = targets.find(std::string(spec.name));
    if (it == targets.end()) continue;
    if (!spec.checklist) {
      s.targets[i] = it->get<double>();
      continue;
    }
    Checklist c;
    c.evidence = *EvidenceFromName((*it)["evidence"].get<std::string>());
    for (const auto& cl : kChecklists) {
      if (cl.target != spec.name) continue;
      c.total = cl.count;
      for (int k = 0; k < cl.count; ++k) {
        auto item = it->find(std::string(cl.items[k]));
        if (item != it->end() && item->get<bool>()) ++c.met;
      }
    }
    // Items claimed with no evidence at all are not known to be met (reference
    // 7: unknown counts as not met for hard constraints).
    if (c.evidence != Evidence::kUnknown) s.targets[i] = c.Percent();
    s.checklists[std::string(spec.name)] = c;
  }
  std::array<int, kNumCriteria> per_criterion{};
  for (int i = 0; i < kNumTargets; ++i) {
    int c = static_cast<int>(kTargets[i].criterion);
    s.target_scores[i] = s.targets[i] ? NormaliseTarget(kTargets[i], *s.targets[i]) : 0.0;
    // Management checks count by the confidence of their evidence.
    if (kTargets[i].checklist) s.target_scores[i] *= EvidenceConfidence(s.ChecklistEvidence(kTargets[i].name));
    s.criterion_scores[c] += s.target_scores[i];
    ++per_criterion[c];
  }
  for (int c = 0; c < kNumCriteria; ++c) s.criterion_scores[c] /= per_criterion[c];
  std::string rendered;
  for (int c = 0; c < kNumCriteria; ++c) {
    s.rendered_at[c] = static_cast<uint32_t>(rendered.size());
    JsonWriter w;
    w.BeginObject();
    for (int t = 0; t < kNumTargets; ++t) {
      const TargetSpec& spec = kTargets[t];
      if (static_cast<int>(spec.criterion) != c) continue;
      w.Key(spec.name).BeginObject();
      if (s.targets[t]) w.Key("value").Number(*s.targets[t]);
      else w.Key("value").Null();
      w.Key("score").Rounded(s.target_scores[t]);
      if (spec.checklist) {
        Evidence e = s.ChecklistEvidence(spec.name);
        w.Key("evidence").String(EvidenceName(e)).Key("verified").Bool(EvidenceVerified(e));
      }
      w.EndObject();
    }
    rendered += w.EndObject().Take();
  }
  for (int c = 0; c < kNumCriteria; ++c) {
    s.rendered_at[kNumCriteria + c] = static_cast<uint32_t>(rendered.size());
    rendered += DecimalText(s.criterion_scores[c], 6).view();
  }
  s.rendered_at[2 * kNumCriteria] = static_cast<uint32_t>(rendered.size());
  rendered.shrink_to_fit();
  s.rendered = std::move(rendered);
  if (doc.contains("maintenance_notice_days")) s.maintenance_notice_days = doc["maintenance_notice_days"].get<int>();
  if (doc.contains("time_zone")) s.time_zone = doc["time_zone"].get<std::string>();
  if (doc.contains("credit_tiers")) {
    for (const auto& t : doc["credit_tiers"]) s.credit_tiers.push_back({t.at("below_percent").get<double>(), t.at("credit_percent").get<double>()});
  }
  if (doc.contains("monthly_fee")) {
    s.monthly_fee = Money{doc["monthly_fee"].at("amount").get<double>(), doc["monthly_fee"].at("currency").get<std::string>()};
  }
  if (doc.contains("fee_basis")) s.fee_basis = doc["fee_basis"].get<std::string>();
  return s;
}

Result<Profile> ProfileFromJson(const json& doc) {
  Profile p;
  p.id = Str(doc, "id");
  p.description = Str(doc, "description");
  if (doc.contains("policy")) p.policy = doc["policy"].get<std::string>();
  if (doc.contains("evidence")) {
    std::string e = doc["evidence"].get<std::string>();
    p.evidence = e == "measured" ? EvidenceBasis::kMeasured : e == "both" ? EvidenceBasis::kBoth : EvidenceBasis::kPublished;
  }
  if (doc.contains("weights")) {
    for (const auto& [name, w] : doc["weights"].items()) p.weights[*ColumnFromName(name)] = w.get<double>();
  }
  if (doc.contains("cost")) {
    const json& c = doc["cost"];
    CostRequirements cost;
    cost.currency = c.at("currency").get<std::string>();
    if (c.contains("usage"))
      for (const auto& [unit, q] : c["usage"].items()) cost.usage[unit] = q.get<double>();
    cost.egress_gb = c.value("egress_gb", 0.0);
    if (c.contains("monthly_budget")) cost.monthly_budget = c["monthly_budget"].get<double>();
    if (c.contains("exchange_rates"))
      for (const auto& [cur, rate] : c["exchange_rates"].items()) cost.exchange_rates[cur] = rate.get<double>();
    p.cost = std::move(cost);
  } else if (p.weights[kCostColumn] > 0) {
    return InvalidArgument("cost weighed but not described", {{"/weights/cost", "weighing cost needs a cost block: {currency, usage, egress_gb}"}});
  }
  p.accept_inconsistent = doc.value("accept_inconsistent", false);
  if (doc.contains("pairwise")) {
    const json& pw = doc["pairwise"];
    PairwiseComparisons pc;
    for (const auto& c : pw["criteria"]) pc.columns.push_back(*ColumnFromName(c.get<std::string>()));
    const json& m = pw["matrix"];
    size_t n = pc.columns.size();
    if (m.size() != n) return InvalidArgument("pairwise matrix size", {{"/pairwise/matrix", "has " + std::to_string(m.size()) + " rows for " + std::to_string(n) + " criteria"}});
    for (size_t i = 0; i < n; ++i) {
      if (m[i].size() != n) return InvalidArgument("pairwise matrix size", {{"/pairwise/matrix/" + std::to_string(i), "has " + std::to_string(m[i].size()) + " entries for " + std::to_string(n) + " criteria"}});
      pc.matrix.push_back(m[i].get<std::vector<double>>());
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        std::string at = "/pairwise/matrix/" + std::to_string(i) + "/" + std::to_string(j);
        if (i == j && pc.matrix[i][j] != 1.0) return InvalidArgument("pairwise diagonal", {{at, "a criterion compared with itself is 1"}});
        if (std::fabs(pc.matrix[i][j] * pc.matrix[j][i] - 1.0) > 1e-2) {
          return InvalidArgument("pairwise not reciprocal", {{at, "must be the reciprocal of entry [" + std::to_string(j) + "][" + std::to_string(i) + "]"}});
        }
      }
    }
    if (!p.cost && std::find(pc.columns.begin(), pc.columns.end(), kCostColumn) != pc.columns.end()) {
      return InvalidArgument("cost compared but not described", {{"/pairwise/criteria", "comparing cost needs a cost block: {currency, usage, egress_gb}"}});
    }
    p.pairwise = std::move(pc);
  }
  if (doc.contains("constraints")) {
    const json& c = doc["constraints"];
    if (c.contains("service_models"))
      for (const auto& m : c["service_models"]) p.constraints.service_models.push_back(*ServiceModelFromName(m.get<std::string>()));
    if (c.contains("countries")) p.constraints.countries = c["countries"].get<std::vector<std::string>>();
    if (c.contains("certifications")) p.constraints.certifications = c["certifications"].get<std::vector<std::string>>();
    p.constraints.exclude_cloud_washing = c.value("exclude_cloud_washing", false);
    if (c.contains("essential_characteristics")) p.constraints.essential_characteristics = EvidenceFromName(c["essential_characteristics"].get<std::string>());
    if (c.contains("targets")) {
      for (const auto& [name, b] : c["targets"].items()) {
        Bound bound;
        if (b.contains("min")) bound.min = b["min"].get<double>();
        if (b.contains("max")) bound.max = b["max"].get<double>();
        if (bound.min && bound.max && *bound.min > *bound.max) {
          return InvalidArgument("empty bound", {{"/constraints/targets/" + name, "min " + b["min"].dump() + " is greater than max " + b["max"].dump()}});
        }
        p.constraints.targets[*TargetIndex(name)] = bound;
      }
    }
  }
  return p;
}

}  // namespace icb
