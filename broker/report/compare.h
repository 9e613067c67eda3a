// The procurement report: one profile, a set of providers, side by side.
// Every criterion with published value, measured value and promise kept; the
// cost; the rank under each registered policy; whether the winner survives
// each weight moving by +-20 %; and SLA credits of the last three months.
// Rendered as JSON, Markdown, CSV or a single offline HTML file with charts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/core/json_writer.h"
#include "broker/qos/service.h"
#include "broker/ranking/ranker.h"

namespace icb {

struct PolicyRanking {
  std::string policy;
  int version = 0;
  std::optional<RankResult> result;  // every candidate ranked
  std::string error;                 // why this policy could not rank (e.g. ahp without pairwise)
};

struct SensitivityCase {
  std::string column;    // criterion or cost
  double factor = 1;     // 0.8 or 1.2
  double weight = 0;     // the column's weight after the change, renormalised
  std::string winner;    // empty: nobody ranked
  bool changed = false;  // the winner differs from the baseline's
};

struct ProviderComparison {
  std::string id;
  std::string name;
  const SlaVersion* sla = nullptr;            // in force at the report's time
  std::optional<MeasuredTargets> measured;    // enough coverage to count
  double coverage_percent = 0;
  std::optional<CostEstimate> cost;
  CloudCheck cloud;
  std::vector<QosService::MonthCredit> credits;  // last three months, oldest first
  std::vector<std::string> excluded;             // reasons under the profile, empty when ranked
};

// A target's published and measured value for one provider.
struct TargetPair {
  std::optional<double> published, measured;
};
TargetPair Values(const ProviderComparison& p, int target);

struct CompareReport {
  // The providers compared; the SLA pointers below point into it.
  std::shared_ptr<const CatalogSnapshot> catalog;
  Profile profile;
  TimePoint at;
  long long catalog_version = 0;
  std::vector<PolicyRanking> rankings;  // the profile's policy first
  std::string winner;                   // under the profile's policy
  std::vector<SensitivityCase> sensitivity;
  std::vector<ProviderComparison> providers;  // ascending id
};

// `providers` empty means all. `qos` null: no measurements, credits or
// observations (offline without sample files).
Result<CompareReport> BuildCompare(const CatalogSnapshot& catalog, const PolicyRegistry& policies, QosService* qos,
                                   const Profile& profile, const std::vector<std::string>& providers, TimePoint now);

enum class ReportFormat { kJson, kMarkdown, kCsv, kHtml };
std::optional<ReportFormat> ReportFormatFromName(std::string_view name);  // json, md, csv, html
std::string_view ReportContentType(ReportFormat f);
std::string RenderCompare(const CompareReport& report, ReportFormat format);

std::string CompareToJson(const CompareReport& report);
// A month's credit as an amount and its currency: on the SLA's monthly fee
// when it states one, else on the estimated bill; nullopt without either.
std::optional<std::pair<double, std::string>> CreditAmount(const QosService::MonthCredit& m, const ProviderComparison& p,
                                                          const Profile& profile);

// The cost estimate and the cloud-washing check as every answer shows them.
void WriteCost(JsonWriter& w, const CostEstimate& c);
void WriteCloudSummary(JsonWriter& w, const CloudCheck& c);

}  // namespace icb
