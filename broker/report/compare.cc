#include "broker/report/compare.h"

#include <algorithm>
#include <cmath>

#include "broker/core/time.h"

namespace icb {

namespace {

double Money2(double v) { return std::round(v * 100) / 100; }

const RankedProvider* Find(const RankResult& r, std::string_view id) {
  for (const auto& p : r.ranking)
    if (p.provider == id) return &p;
  return nullptr;
}

const ExcludedProvider* FindExcluded(const RankResult& r, std::string_view id) {
  for (const auto& e : r.excluded)
    if (e.provider == id) return &e;
  return nullptr;
}

}  // namespace

namespace {

// The providers compared: `ids` (in id order, each once), or the whole
// catalog; NotFound naming each unknown one by its pointer.
Result<std::shared_ptr<CatalogSnapshot>> Compared(const CatalogSnapshot& catalog, const std::vector<std::string>& ids) {
  auto sub = std::make_shared<CatalogSnapshot>();
  sub->version = catalog.version;
  if (ids.empty()) {
    sub->providers = catalog.providers;
    return sub;
  }
  std::vector<FieldError> unknown;
  for (size_t i = 0; i < ids.size(); ++i) {
    const ProviderEntries::Shared* found = catalog.providers.Find(ids[i]);
    if (!found) unknown.push_back({"/providers/" + std::to_string(i), "unknown provider \"" + ids[i] + "\""});
    else if (std::none_of(sub->providers.begin(), sub->providers.end(), [&](const ProviderEntry& e) { return e.provider.id == ids[i]; }))
      sub->providers.push_back(*found);
  }
  if (!unknown.empty()) return Status(StatusCode::kNotFound, "unknown providers", std::move(unknown));
  sub->providers.SortById();
  return sub;
}

// The profile's own method first, then every other one. The others rank
// on the weights the profile's own method applied (AHP derives them), so
// the comparison is between methods, not weights. Only the profile's own
// method must work.
Status RankUnderEveryPolicy(CompareReport& report, const CatalogSnapshot& sub, const PolicyRegistry& policies, const Profile& profile,
                            const RankInputs& inputs) {
  std::vector<std::string> names = {profile.policy};
  for (const auto& n : policies.Names())
    if (n != profile.policy) names.push_back(n);
  for (const auto& name : names) {
    const RankingPolicy* policy = policies.Find(name);
    Profile p = profile;
    p.policy = name;
    if (!report.rankings.empty()) std::copy(report.rankings[0].result->weights.begin(), report.rankings[0].result->weights.end(), p.weights.begin());
    PolicyRanking pr;
    pr.policy = name;
    pr.version = policy->version();
    auto r = Rank(sub, p, *policy, report.at, 0, inputs);
    if (r.ok()) pr.result = std::move(r).value();
    else if (name == profile.policy) return r.status();
    else pr.error = r.status().errors().empty() ? r.status().message() : r.status().errors()[0].message;
    report.rankings.push_back(std::move(pr));
  }
  return Status::Ok();
}

// Sensitivity: each weighed column x0.8 and x1.2, the rest as they were,
// renormalised; does the winner change? AHP scores as a weighted sum of its
// derived weights, so its perturbed weights rank under weighted_sum.
Status Sensitivity(CompareReport& report, const CatalogSnapshot& sub, const PolicyRegistry& policies, const Profile& profile,
                   const RankInputs& inputs) {
  const RankResult& base = *report.rankings[0].result;
  const RankingPolicy* policy = policies.Find(profile.policy == "ahp" ? "weighted_sum" : profile.policy);
  if (!policy) return Status::Ok();
  for (int c = 0; c < kNumColumns; ++c) {
    if (base.weights[c] <= 0) continue;
    for (double factor : {0.8, 1.2}) {
      Profile p = profile;
      p.pairwise.reset();
      p.policy = std::string(policy->name());
      std::copy(base.weights.begin(), base.weights.end(), p.weights.begin());
      p.weights[c] *= factor;
      ICB_ASSIGN_OR_RETURN(RankResult r, Rank(sub, p, *policy, report.at, 1, inputs));
      SensitivityCase sc;
      sc.column = std::string(kColumnNames[c]);
      sc.factor = factor;
      sc.weight = r.weights[c];
      if (!r.ranking.empty()) sc.winner = r.ranking[0].provider;
      sc.changed = sc.winner != report.winner;
      report.sensitivity.push_back(std::move(sc));
    }
  }
  return Status::Ok();
}

// One provider side by side: its SLA in force, what was measured (when
// enough was), its cost, the cloud check, recent credits, why excluded.
Result<ProviderComparison> CompareProvider(const ProviderEntry& entry, const CompareReport& report, const RankEvidence& evidence,
                                           const MeasuredMap& measured, const ObservationMap& observations, QosService* qos) {
  static const std::vector<CharacteristicCheckEvent> kNone;
  const RankResult& base = *report.rankings[0].result;
  ProviderComparison pc;
  pc.id = entry.provider.id;
  pc.name = entry.provider.name;
  pc.sla = entry.InForce(report.at);
  if (const MeasuredTargets* m = measured.Find(pc.id)) {
    pc.coverage_percent = m->coverage_percent;
    if (m->coverage_percent >= kMinMeasuredCoverage) pc.measured = *m;
  }
  if (const RankedProvider* r = Find(base, pc.id)) {
    pc.cost = r->cost;
  } else if (report.profile.cost) {
    std::optional<double> credit;
    if (auto it = evidence.credits.find(pc.id); it != evidence.credits.end()) credit = it->second;
    pc.cost = EstimateCost(entry.provider, *report.profile.cost, credit).estimate;
  }
  auto obs = observations.find(pc.id);
  pc.cloud = CheckCloud(entry.provider, obs == observations.end() ? kNone : obs->second, report.at);
  if (qos) {
    ICB_ASSIGN_OR_RETURN(pc.credits, qos->RecentCredits(entry, report.at));
  }
  if (const ExcludedProvider* e = FindExcluded(base, pc.id)) pc.excluded = e->reasons;
  return pc;
}

}  // namespace

Result<CompareReport> BuildCompare(const CatalogSnapshot& catalog, const PolicyRegistry& policies, QosService* qos,
                                   const Profile& profile, const std::vector<std::string>& ids, TimePoint now) {
  ICB_ASSIGN_OR_RETURN(auto sub, Compared(catalog, ids));
  ICB_RETURN_IF_ERROR(policies.CheckName(profile.policy, "/policy"));
  // Everything the broker knows, whatever the profile ranks on: the report
  // shows published beside measured, and the cloud check on observations.
  RankEvidence evidence;
  ICB_RETURN_IF_ERROR(GatherRankEvidence(*sub, profile, "", now, qos, evidence));
  MeasuredMap measured = evidence.measured;
  ObservationMap observations = evidence.observations;
  if (qos && !evidence.has_measured) {
    ICB_ASSIGN_OR_RETURN(measured, qos->Measured(*sub, now));
  }
  if (qos && !evidence.has_observations) {
    ICB_ASSIGN_OR_RETURN(observations, qos->Observations(*sub, now));
  }
  CompareReport report;
  report.catalog = sub;
  report.profile = profile;
  report.at = now;
  report.catalog_version = catalog.version;
  ICB_RETURN_IF_ERROR(RankUnderEveryPolicy(report, *sub, policies, profile, evidence.inputs()));
  const RankResult& base = *report.rankings[0].result;
  if (!base.ranking.empty()) report.winner = base.ranking[0].provider;
  ICB_RETURN_IF_ERROR(Sensitivity(report, *sub, policies, profile, evidence.inputs()));
  for (const auto& entry : sub->providers) {
    ICB_ASSIGN_OR_RETURN(ProviderComparison pc, CompareProvider(entry, report, evidence, measured, observations, qos));
    report.providers.push_back(std::move(pc));
  }
  return report;
}

TargetPair Values(const ProviderComparison& p, int target) {
  TargetPair out;
  if (p.sla && p.sla->targets[target]) out.published = *p.sla->targets[target];
  if (p.measured && p.measured->values[target]) out.measured = *p.measured->values[target];
  return out;
}

std::optional<ReportFormat> ReportFormatFromName(std::string_view name) {
  if (name == "json") return ReportFormat::kJson;
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "html") return ReportFormat::kHtml;
  return std::nullopt;
}

std::string_view ReportContentType(ReportFormat f) {
  switch (f) {
    case ReportFormat::kJson: return "application/json";
    case ReportFormat::kMarkdown: return "text/markdown; charset=utf-8";
    case ReportFormat::kCsv: return "text/csv; charset=utf-8";
    case ReportFormat::kHtml: return "text/html; charset=utf-8";
  }
  return "application/json";
}

void WriteCost(JsonWriter& w, const CostEstimate& c) {
  auto money = [](double v) { return std::round(v * 100) / 100; };
  w.Key("cost").BeginObject().Key("offer").String(c.offer).Key("monthly").Number(money(c.monthly));
  w.Key("expected_credit_percent").Rounded(c.credit_percent);
  w.Key("expected_credit").Number(money(c.expected_credit)).Key("effective").Number(money(c.effective));
  if (c.offer_currency != "" && c.rate != 1) w.Key("offer_currency").String(c.offer_currency).Key("exchange_rate").Number(c.rate);
  w.EndObject();
}

void WriteCloudSummary(JsonWriter& w, const CloudCheck& c) {
  w.Key("cloud_check").BeginObject().Key("flagged").Bool(c.flagged).Key("secured").Bool(c.secured);
  w.Key("characteristics").BeginObject();
  for (int i = 0; i < kNumCharacteristics; ++i) {
    const auto& s = c.items[i];
    w.Key(kCharacteristicNames[i]).BeginObject().Key("met").Bool(s.met).Key("evidence").String(EvidenceName(s.evidence));
    w.Key("verified").Bool(EvidenceVerified(s.evidence));
    if (s.contradicted) w.Key("contradicted").Bool(true);
    if (s.observed_at) w.Key("observed_at").String(FormatRfc3339(*s.observed_at));
    if (!s.detail.empty()) w.Key("detail").String(s.detail);
    w.EndObject();
  }
  w.EndObject().EndObject();
}

// The credit a month's availability earned, as an amount: on the SLA's
// monthly fee when it states one, else on the estimated bill.
std::optional<std::pair<double, std::string>> CreditAmount(const QosService::MonthCredit& m, const ProviderComparison& p,
                                                          const Profile& profile) {
  if (m.monthly_fee) return std::pair{Money2(m.monthly_fee->amount * m.credit_percent / 100), m.monthly_fee->currency};
  if (p.cost && profile.cost) return std::pair{Money2(p.cost->monthly * m.credit_percent / 100), profile.cost->currency};
  return std::nullopt;
}

namespace {

void WritePolicies(JsonWriter& w, const CompareReport& r) {
  w.Key("policies").BeginArray();
  for (const auto& pr : r.rankings) {
    w.BeginObject().Key("policy").String(pr.policy).Key("policy_version").Int(pr.version);
    if (!pr.result) {
      w.Key("error").String(pr.error).EndObject();
      continue;
    }
    if (pr.result->consistency_ratio) w.Key("consistency_ratio").Rounded(*pr.result->consistency_ratio);
    w.Key("ranking").BeginArray();
    for (const auto& p : pr.result->ranking) w.BeginObject().Key("provider").String(p.provider).Key("rank").Int(p.rank).Key("score").Rounded(p.score).EndObject();
    w.EndArray().EndObject();
  }
  w.EndArray();
}

void WriteSensitivity(JsonWriter& w, const CompareReport& r) {
  bool changes = std::any_of(r.sensitivity.begin(), r.sensitivity.end(), [](const SensitivityCase& s) { return s.changed; });
  w.Key("sensitivity").BeginObject().Key("winner_changes").Bool(changes).Key("cases").BeginArray();
  for (const auto& s : r.sensitivity) {
    w.BeginObject().Key("criterion").String(s.column).Key("change").String(s.factor < 1 ? "-20%" : "+20%");
    w.Key("weight").Rounded(s.weight).Key("winner");
    if (s.winner.empty()) w.Null();
    else w.String(s.winner);
    w.Key("winner_changed").Bool(s.changed).EndObject();
  }
  w.EndArray().EndObject();
}

// One criterion of one provider: its score in the ranking (if ranked), and
// each target published beside measured, whether the promise was kept, and
// a management check's evidence.
void WriteComparedCriterion(JsonWriter& w, const ProviderComparison& p, const RankedProvider* rp, int c) {
  w.Key(kCriterionNames[c]).BeginObject();
  if (rp) {
    w.Key("score").Rounded(rp->criteria[c].score).Key("weight").Rounded(rp->criteria[c].weight);
    w.Key("contribution").Rounded(rp->criteria[c].contribution);
  }
  int compared = 0, kept = 0;
  w.Key("targets").BeginObject();
  for (int t = 0; t < kNumTargets; ++t) {
    const TargetSpec& spec = kTargets[t];
    if (static_cast<int>(spec.criterion) != c) continue;
    TargetPair values = Values(p, t);
    const std::optional<double>& published = values.published;
    const std::optional<double>& measured = values.measured;
    w.Key(spec.name).BeginObject().Key("published").Number(published).Key("measured").Rounded(measured);
    w.Key("promise_kept");
    if (published && measured) {
      bool k = PromiseKept(spec, *published, *measured);
      w.Bool(k);
      ++compared;
      kept += k;
    } else {
      w.Null();
    }
    if (spec.checklist && p.sla) {
      Evidence e = p.sla->ChecklistEvidence(spec.name);
      w.Key("evidence").String(EvidenceName(e)).Key("verified").Bool(EvidenceVerified(e));
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("promise_kept").Rounded(compared ? std::optional<double>(static_cast<double>(kept) / compared) : std::nullopt).EndObject();
}

void WriteComparedProvider(JsonWriter& w, const CompareReport& r, const ProviderComparison& p) {
  w.BeginObject().Key("provider").String(p.id).Key("name").String(p.name).Key("sla_version");
  if (p.sla) w.String(p.sla->version);
  else w.Null();
  w.Key("ranks").BeginObject();
  for (const auto& pr : r.rankings) {
    w.Key(pr.policy);
    const RankedProvider* rp = pr.result ? Find(*pr.result, p.id) : nullptr;
    if (rp) w.Int(rp->rank);
    else w.Null();
  }
  w.EndObject();
  const RankedProvider* rp = Find(*r.rankings[0].result, p.id);
  w.Key("score");
  if (rp) w.Rounded(rp->score);
  else w.Null();
  if (!p.excluded.empty()) {
    w.Key("excluded").BeginArray();
    for (const auto& reason : p.excluded) w.String(reason);
    w.EndArray();
  }
  w.Key("measurement").BeginObject().Key("coverage_percent").Number(std::round(p.coverage_percent * 100) / 100);
  w.Key("sufficient").Bool(p.measured.has_value()).EndObject();
  w.Key("criteria").BeginObject();
  for (int c = 0; c < kNumCriteria; ++c) WriteComparedCriterion(w, p, rp, c);
  w.EndObject();
  if (p.cost) WriteCost(w, *p.cost);
  else w.Key("cost").Null();
  WriteCloudSummary(w, p.cloud);
  w.Key("credits").BeginArray();
  for (const auto& m : p.credits) {
    w.BeginObject().Key("month").String(m.month).Key("sla_version").String(m.sla_version);
    w.Key("availability_percent").Number(std::round(m.availability_percent * 1e4) / 1e4);
    w.Key("coverage_percent").Number(std::round(m.coverage_percent * 100) / 100).Key("credit_percent").Number(m.credit_percent);
    if (auto amount = CreditAmount(m, p, r.profile)) w.Key("credit_amount").Number(amount->first).Key("currency").String(amount->second);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string CompareToJson(const CompareReport& r) {
  const RankResult& base = *r.rankings[0].result;
  JsonWriter w;
  w.BeginObject();
  w.Key("profile");
  if (r.profile.id.empty()) w.Null();
  else w.String(r.profile.id);
  w.Key("policy").String(r.profile.policy).Key("evidence").String(EvidenceBasisName(r.profile.evidence));
  w.Key("at").String(FormatRfc3339(r.at)).Key("catalog_version").Int(r.catalog_version);
  if (r.profile.cost) w.Key("currency").String(r.profile.cost->currency);
  w.Key("weights").BeginObject();
  for (int c = 0; c < kNumColumns; ++c) w.Key(kColumnNames[c]).Rounded(base.weights[c]);
  w.EndObject();
  w.Key("winner");
  if (r.winner.empty()) w.Null();
  else w.String(r.winner);
  WritePolicies(w, r);
  WriteSensitivity(w, r);
  w.Key("providers").BeginArray();
  for (const auto& p : r.providers) WriteComparedProvider(w, r, p);
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace icb
