#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/api/routes.h"
#include "broker/core/json_writer.h"
#include "broker/core/time.h"
#include "broker/ranking/ranker.h"

namespace icb {

using nlohmann::json;

namespace {

// The answer grows with top_k and excluded_limit, never with the catalog:
// exclusions are counted per constraint, and only the first few (in
// provider-id order) are listed with their reasons.
using ColumnTexts = std::array<DecimalText, kNumColumns>;

// A criterion's score as written: on published values the SLA's own,
// rendered once per SLA.
std::string_view CriterionScoreText(const RankedProvider& p, int c, const ColumnTexts& score_text) {
  return !p.evidence && c < kNumCriteria ? p.sla->CriterionScoreJson(c) : score_text[c].view();
}

// The rank in words: the score and the SLA it is under, the two criteria
// that contribute most, too little measurement, the cloud-washing flag.
std::string Explanation(const RankedProvider& p, std::string_view score, const ColumnTexts& score_text, const ColumnTexts& contribution_text,
                        const ColumnTexts& weight_text) {
  std::array<int, kNumColumns> order;
  for (int c = 0; c < kNumColumns; ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p.criteria[a].contribution > p.criteria[b].contribution; });
  std::string why;
  why.reserve(256);
  why.append("score ").append(score);
  if (p.sla) why.append(" under SLA ").append(p.sla->version);
  else why += " on measurement alone (no SLA in force)";
  why += "; largest contributions: ";
  for (int i = 0; i < 2; ++i) {
    int c = order[i];
    if (i) why += ", ";
    why.append(kColumnNames[c]).append(" ").append(contribution_text[c].view());
    why.append(" (score ").append(CriterionScoreText(p, c, score_text)).append(" x weight ").append(weight_text[c].view()).append(")");
  }
  if (p.evidence && !p.evidence->sufficient) {
    why.append("; measured coverage ").append(DecimalText(p.evidence->coverage_percent, 2).view());
    why += " % is below " + FormatNumber(kMinMeasuredCoverage) + " %: published values used";
  }
  if (p.cloud && p.cloud->flagged) why += "; flagged by the cloud-washing check";
  return why;
}

// One criterion's targets on measured evidence: value, published,
// measured, score, whether the promise was kept; then the share kept.
void WriteMeasuredTargets(JsonWriter& w, const EvidenceDetail& evidence, int criterion) {
  int compared = 0, kept = 0;
  w.Key("targets").BeginObject();
  for (int t = 0; t < kNumTargets; ++t) {
    if (static_cast<int>(kTargets[t].criterion) != criterion) continue;
    const EvidenceTarget& et = evidence.targets[t];
    w.Key(kTargets[t].name).BeginObject();
    w.Key("value").Number(et.used).Key("published").Number(et.published).Key("measured").Number(et.measured);
    w.Key("score").Rounded(et.score);
    if (et.kept) {
      w.Key("promise_kept").Bool(*et.kept);
      ++compared;
      kept += *et.kept;
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("promise_kept").Rounded(compared ? std::optional<double>(static_cast<double>(kept) / compared) : std::nullopt);
}

void WriteRankedProvider(JsonWriter& w, const RankedProvider& p, const RankResult& r, const Profile& profile, const ColumnTexts& weight_text) {
  w.BeginObject().Key("provider").String(p.provider).Key("rank").Int(p.rank);
  DecimalText score(p.score);
  w.Key("score").Raw(score.view());
  w.Key("sla_version");
  if (p.sla) w.String(p.sla->version);
  else w.Null();
  // Each criterion's score and contribution, for the breakdown and the explanation.
  ColumnTexts score_text, contribution_text;
  for (int c = 0; c < kNumColumns; ++c) {
    contribution_text[c] = DecimalText(p.criteria[c].contribution);
    if (!p.evidence && c < kNumCriteria) continue;
    score_text[c] = DecimalText(p.criteria[c].score);
  }
  w.Key("explanation").String(Explanation(p, score.view(), score_text, contribution_text, weight_text));
  if (p.cost) WriteCost(w, *p.cost);
  if (p.cloud) WriteCloudSummary(w, *p.cloud);
  if (p.evidence) {
    const auto& e = *p.evidence;
    w.Key("measurement").BeginObject().Key("coverage_percent").Rounded(e.coverage_percent, 2);
    w.Key("sufficient").Bool(e.sufficient).Key("from").String(FormatRfc3339(e.from)).Key("to").String(FormatRfc3339(e.to));
    w.Key("promise_kept").Rounded(e.promise_kept).EndObject();
  }
  w.Key("criteria").BeginObject();
  for (int c = 0; c < kNumCriteria; ++c) {
    w.Key(kCriterionNames[c]).BeginObject();
    w.Key("score").Raw(CriterionScoreText(p, c, score_text)).Key("weight").Raw(weight_text[c].view()).Key("contribution").Raw(contribution_text[c].view());
    if (p.evidence) WriteMeasuredTargets(w, *p.evidence, c);
    else w.Key("targets").Raw(p.sla->TargetsJson(c));  // rendered once per SLA
    w.EndObject();
  }
  if (profile.cost || r.weights[kCostColumn] > 0) {
    const auto& cb = p.criteria[kCostColumn];
    w.Key("cost").BeginObject().Key("score").Rounded(cb.score).Key("weight").Rounded(cb.weight);
    w.Key("contribution").Rounded(cb.contribution).EndObject();
  }
  w.EndObject().EndObject();
}

// How many providers each constraint excluded (most-failed first, ties in
// pointer order), and the first `listed` excluded with their reasons.
void WriteExclusions(JsonWriter& w, const RankResult& r, size_t listed) {
  std::vector<std::pair<std::string_view, size_t>> by_constraint;
  for (int c = 0; c < kNumConstraints; ++c)
    if (size_t n = r.exclusions.by_constraint[c]) by_constraint.emplace_back(ConstraintPointer(static_cast<Constraint>(c)), n);
  std::sort(by_constraint.begin(), by_constraint.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  w.Key("excluded_count").Int(static_cast<long long>(r.exclusions.providers));
  w.Key("exclusions").BeginArray();
  for (const auto& [constraint, count] : by_constraint) w.BeginObject().Key("constraint").String(constraint).Key("providers").Int(static_cast<long long>(count)).EndObject();
  w.EndArray();
  w.Key("excluded").BeginArray();
  for (size_t i = 0; i < listed; ++i) {
    const auto& e = r.excluded[i];
    w.BeginObject().Key("provider").String(e.provider).Key("reasons").BeginArray();
    for (const auto& reason : e.reasons) w.String(reason);
    w.EndArray().EndObject();
  }
  w.EndArray();
}

std::string RankResultToJson(const RankResult& r, const Profile& profile, long long catalog_version, size_t excluded_limit) {
  JsonWriter w;
  const size_t listed = std::min(excluded_limit, r.excluded.size());
  // About the answer's size, so the buffer never grows (a regrowth zero-fills
  // and copies it): the targets' texts are most of a ranked provider.
  size_t estimate = 2048;
  for (const auto& p : r.ranking) {
    estimate += 1500;
    if (!p.evidence && p.sla)
      for (int c = 0; c < kNumCriteria; ++c) estimate += p.sla->TargetsJson(c).size();
    else estimate += 1600;
  }
  for (size_t i = 0; i < listed; ++i) {
    estimate += 64 + r.excluded[i].provider.size();
    for (const auto& reason : r.excluded[i].reasons) estimate += reason.size() + 8;
  }
  w.Reserve(estimate);
  w.BeginObject();
  w.Key("policy").String(r.policy).Key("policy_version").Int(r.policy_version);
  if (!profile.id.empty()) w.Key("profile").String(profile.id);
  w.Key("evidence").String(EvidenceBasisName(profile.evidence));
  w.Key("at").String(FormatRfc3339(r.at)).Key("catalog_version").Int(catalog_version);
  w.Key("weights").BeginObject();
  for (int c = 0; c < kNumColumns; ++c) w.Key(kColumnNames[c]).Rounded(r.weights[c]);
  w.EndObject();
  if (profile.cost) w.Key("currency").String(profile.cost->currency);
  if (r.consistency_ratio) w.Key("consistency_ratio").Rounded(*r.consistency_ratio);
  // Units once per answer rather than in every provider's breakdown.
  w.Key("units").BeginObject();
  for (const auto& spec : kTargets) w.Key(spec.name).String(spec.unit);
  w.EndObject();
  // The weights' texts, written in every provider's breakdown: rendered once.
  ColumnTexts weight_text;
  for (int c = 0; c < kNumColumns; ++c) weight_text[c] = DecimalText(r.weights[c]);
  w.Key("ranking").BeginArray();
  for (const auto& p : r.ranking) WriteRankedProvider(w, p, r, profile, weight_text);
  w.EndArray();
  WriteExclusions(w, r, listed);
  w.EndObject();
  return w.Take();
}

// The profile of a rank or compare request: inline (errors point under
// /profile) or stored (profile_id: the snapshot's, shared, not copied), with
// the request's policy if it names one. Sets `pointer` to where the
// profile's fields live.
Result<std::shared_ptr<const Profile>> ResolveProfile(const std::shared_ptr<const CatalogSnapshot>& catalog, const json& request,
                                                      const TenantSpace& space, std::string& pointer) {
  std::shared_ptr<const Profile> profile;
  if (request.contains("profile_id")) {
    pointer.clear();
    const auto& id = request["profile_id"].get_ref<const std::string&>();
    const Profile* stored = catalog->FindProfile(space.Scoped(id));
    if (!stored) return Status(StatusCode::kNotFound, "unknown profile", {{"/profile_id", "no profile \"" + id + "\""}});
    profile = std::shared_ptr<const Profile>(catalog, stored);
  } else {
    pointer = "/profile";
    auto p = ProfileFromJson(request["profile"]);
    if (!p.ok()) return PrefixPointers(p.status(), pointer);
    profile = std::make_shared<const Profile>(std::move(*p));
  }
  if (auto it = request.find("policy"); it != request.end()) {
    auto overridden = std::make_shared<Profile>(*profile);
    overridden->policy = it->get<std::string>();
    profile = std::move(overridden);
  }
  return profile;
}

}  // namespace

Result<std::string> RankRequestToJson(Catalog& catalog, const PolicyRegistry& policies, const json& request, const TenantSpace& space, TimePoint now,
                                      QosService* qos, RankAnswerMemo* memo, std::string_view request_text) {
  ICB_RETURN_IF_ERROR(catalog.schemas().Validate("rank_request.json", request));
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog.Snapshot());
  std::string pointer;  // where the profile's fields live, for error pointers
  ICB_ASSIGN_OR_RETURN(auto shared_profile, ResolveProfile(snapshot, request, space, pointer));
  const Profile& profile = *shared_profile;
  const std::string policy_pointer = request.contains("policy") ? "/policy" : pointer + "/policy";
  ICB_RETURN_IF_ERROR(policies.CheckName(profile.policy, policy_pointer));
  const RankingPolicy* policy = policies.Find(profile.policy);
  RankEvidence evidence;
  ICB_RETURN_IF_ERROR(GatherRankEvidence(snapshot, profile, pointer, now, qos, evidence));
  // Reuse needs evidence shared between requests (a QoS service), so that
  // the same pointers mean the same evidence.
  std::optional<RankBasis> basis;
  if (memo && memo->enabled() && qos && !request_text.empty()) {
    basis = RankBasis{snapshot, evidence.shared_measured, evidence.shared_credits, evidence.shared_observations};
    if (auto kept = memo->Find(request_text, *basis, now)) return std::move(*kept);
  }
  size_t top_k = request.contains("top_k") ? request["top_k"].get<size_t>() : 0;
  size_t excluded_limit = kDefaultExcludedListed;
  if (auto it = request.find("excluded_limit"); it != request.end()) excluded_limit = it->is_string() ? SIZE_MAX : it->get<size_t>();
  RankInputs inputs = evidence.inputs();
  inputs.worded_exclusions = excluded_limit;  // the rest are only counted
  auto ranked = Rank(*snapshot, profile, *policy, now, top_k, inputs);
  if (!ranked.ok()) return PrefixPointers(ranked.status(), pointer);  // policy errors point into the profile
  RankResult& result = *ranked;
  std::string answer = RankResultToJson(result, profile, snapshot->version, excluded_limit);
  if (basis) memo->Keep(request_text, std::move(*basis), now, answer);
  return answer;
}

Result<CompareOutput> CompareRequestTo(Catalog& catalog, const PolicyRegistry& policies, const json& request, const TenantSpace& space, TimePoint now,
                                       QosService* qos, std::optional<ReportFormat> negotiated) {
  ICB_RETURN_IF_ERROR(catalog.schemas().Validate("compare_request.json", request));
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog.Snapshot());
  std::string pointer;
  ICB_ASSIGN_OR_RETURN(auto shared_profile, ResolveProfile(snapshot, request, space, pointer));
  const Profile& profile = *shared_profile;
  if (request.contains("at")) {
    auto t = ParseRfc3339(request["at"].get<std::string>());
    if (!t) return InvalidArgument("invalid date-time", {{"/at", "not a valid RFC 3339 date-time"}});
    now = *t;
  }
  std::vector<std::string> ids;
  if (request.contains("providers")) ids = request["providers"].get<std::vector<std::string>>();
  auto report = BuildCompare(*snapshot, policies, qos, profile, ids, now);
  if (!report.ok()) {
    // Provider pointers are the request's; profile errors point into the profile.
    bool providers = !report.status().errors().empty() && report.status().errors()[0].pointer.starts_with("/providers");
    return providers ? report.status() : PrefixPointers(report.status(), pointer);
  }
  ReportFormat format = ReportFormat::kJson;
  if (request.contains("format")) format = *ReportFormatFromName(request["format"].get<std::string>());
  else if (negotiated) format = *negotiated;
  return CompareOutput{RenderCompare(*report, format), format};
}

namespace {

HttpResponse CompareRoute(const ApiContext& ctx, const HttpRequest& r) {
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  // Accept picks the format when the body does not: the type we make that it lists first.
  std::optional<ReportFormat> negotiated;
  std::string accept = r.Header("accept");
  size_t first = std::string::npos;
  for (auto [type, format] : {std::pair{"text/html", ReportFormat::kHtml}, std::pair{"text/markdown", ReportFormat::kMarkdown},
                              std::pair{"text/csv", ReportFormat::kCsv}, std::pair{"application/json", ReportFormat::kJson}}) {
    if (size_t at = accept.find(type); at < first) {
      first = at;
      negotiated = format;
    }
  }
  // ?format= ranks above Accept; the body's format above both.
  if (auto q = r.query.find("format"); q != r.query.end()) {
    auto f = ReportFormatFromName(q->second);
    if (!f) return ProblemResponse(InvalidArgument("invalid query", {{"", "format= is json, md, csv or html, got \"" + q->second + "\""}}));
    negotiated = f;
  }
  auto out = CompareRequestTo(ctx.catalog, ctx.policies, *body, ScopeOf(r).own(), ctx.clock.Now(), &ctx.qos, negotiated);
  if (!out.ok()) return ProblemResponse(out.status());
  HttpResponse resp = JsonResponse(200, std::move(out->body));
  resp.content_type = std::string(ReportContentType(out->format));
  return resp;
}

HttpResponse RankRoute(const ApiContext& ctx, const HttpRequest& r) {
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  // Remembered per tenant: the same text names another tenant's profile.
  const TenantSpace space = ScopeOf(r).own();
  const std::string memo_key = space.prefix() + "\n" + r.body;
  auto out = RankRequestToJson(ctx.catalog, ctx.policies, *body, space, ctx.clock.Now(), &ctx.qos, ctx.rank_memo, memo_key);
  return out.ok() ? JsonResponse(200, std::move(out).value()) : ProblemResponse(out.status());
}

}  // namespace

void AddRankRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"POST", "v1/rank", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) { return RankRoute(ctx, r); }});
  router.Add({"POST", "v1/compare", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) { return CompareRoute(ctx, r); }});
}

}  // namespace icb
