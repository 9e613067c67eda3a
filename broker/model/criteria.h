// The 7 quality criteria and the published SLA targets that measure them
// (reference/quality-criteria.md section 2). One table drives the schema
// check, constraint filtering, ranking and explanations.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace icb {

enum class Criterion : int {
  kAvailability = 0,
  kResponsiveness,
  kScalability,
  kReliability,
  kServiceSustainability,
  kServiceSupport,
  kCustomerResponse,
};
inline constexpr int kNumCriteria = 7;
inline constexpr std::array<std::string_view, kNumCriteria> kCriterionNames = {
    "availability", "responsiveness", "scalability", "reliability",
    "service_sustainability", "service_support", "customer_response"};

std::optional<Criterion> CriterionFromName(std::string_view name);
inline std::string_view CriterionName(Criterion c) { return kCriterionNames[static_cast<int>(c)]; }

// Columns of the ranking's decision matrix: the 7 criteria, then cost. A
// profile may weigh cost beside quality; it is not one of the quality criteria.
inline constexpr int kCostColumn = kNumCriteria;
inline constexpr int kNumColumns = kNumCriteria + 1;
inline constexpr std::array<std::string_view, kNumColumns> kColumnNames = {
    "availability", "responsiveness", "scalability", "reliability",
    "service_sustainability", "service_support", "customer_response", "cost"};
std::optional<int> ColumnFromName(std::string_view name);

// How a target's raw value maps onto a 0..1 score (weighted-sum normalisation).
enum class Scale {
  kLinear,  // linear between worst and best, clamped
  kNines,   // availability: linear in -log10(1 - A/100), i.e. in "nines"
  kLog,     // linear in log(value), for quantities spanning orders of magnitude
};

struct TargetSpec {
  std::string_view name;  // wire name in sla.json "targets"
  Criterion criterion;
  std::string_view unit;
  bool higher_is_better;
  Scale scale;
  double worst;  // scores 0
  double best;   // scores 1
  bool checklist;  // a management-check object; its value is the percent of items met
};

// Anchors are absolute, not relative to the other providers, so a provider's
// score never depends on who else is in the catalog (adding or removing one
// cannot reorder the rest). They span the range the seeds discuss: 99 % (the
// lowest credit tier) to five nines; 1-2 h recovery examples (seed 001 l.876).
inline constexpr std::array<TargetSpec, 15> kTargets = {{
    {"availability_percent", Criterion::kAvailability, "%", true, Scale::kNines, 99.0, 99.999, false},
    {"response_ms_mean", Criterion::kResponsiveness, "ms", false, Scale::kLog, 2000, 20, false},
    {"response_ms_p95", Criterion::kResponsiveness, "ms", false, Scale::kLog, 5000, 50, false},
    {"response_ms_p99", Criterion::kResponsiveness, "ms", false, Scale::kLog, 10000, 100, false},
    {"scale_minutes", Criterion::kScalability, "min", false, Scale::kLinear, 60, 1, false},
    {"scale_max_instances", Criterion::kScalability, "instances", true, Scale::kLog, 1, 10000, false},
    {"mttr_minutes", Criterion::kReliability, "min", false, Scale::kLinear, 240, 5, false},
    {"max_recovery_minutes", Criterion::kReliability, "min", false, Scale::kLinear, 480, 15, false},
    {"backup_period_hours", Criterion::kReliability, "h", false, Scale::kLog, 168, 1, false},
    {"backup_compliance_percent", Criterion::kReliability, "%", true, Scale::kLinear, 90, 100, false},
    {"backup_retention_days", Criterion::kReliability, "days", true, Scale::kLog, 1, 90, false},
    {"service_provision_capability", Criterion::kServiceSustainability, "% items", true, Scale::kLinear, 0, 100, true},
    {"service_support_system", Criterion::kServiceSupport, "% items", true, Scale::kLinear, 0, 100, true},
    {"customer_response_system", Criterion::kCustomerResponse, "% items", true, Scale::kLinear, 0, 100, true},
    {"complaint_handling_system", Criterion::kCustomerResponse, "% items", true, Scale::kLinear, 0, 100, true},
}};
inline constexpr int kNumTargets = static_cast<int>(kTargets.size());

std::optional<int> TargetIndex(std::string_view name);

// The check items of each management-check target (schema property names).
struct ChecklistSpec {
  std::string_view target;
  std::array<std::string_view, 6> items;  // unused slots are empty
  int count;
};
inline constexpr std::array<ChecklistSpec, 4> kChecklists = {{
    {"service_provision_capability",
     {"financial_soundness", "certification", "strategy", "dedicated_staff", "service_level_reporting", "change_management"}, 6},
    {"service_support_system",
     {"documentation", "monitoring_site", "supported_environments", "compensation_plan", "migration_support", "training"}, 6},
    {"customer_response_system", {"support_channels", "failure_notification", "real_time_monitoring", "support_documents", "", ""}, 4},
    {"complaint_handling_system", {"complaint_intake", "complaint_evaluation", "feedback", "satisfaction_survey", "", ""}, 4},
}};

// Normalised 0..1 score of a raw value under a target's anchors.
double NormaliseTarget(const TargetSpec& spec, double value);

}  // namespace icb
