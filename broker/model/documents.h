// Typed documents. They are built from JSON that already passed its schema
// (SchemaSet::Validate), so conversion only fails on rules a schema cannot
// express (e.g. an unparseable date).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/model/criteria.h"

namespace icb {

enum class ServiceModel { kIaaS, kPaaS, kSaaS };
std::string_view ServiceModelName(ServiceModel m);
std::optional<ServiceModel> ServiceModelFromName(std::string_view s);

// Strongest first (reference section 7).
enum class Evidence { kObserved, kCertified, kDocumented, kDeclared, kUnknown };
std::string_view EvidenceName(Evidence e);
std::optional<Evidence> EvidenceFromName(std::string_view s);
// How much a claim at this level counts in a score (reference 7: lower levels
// mean lower confidence). Observed and certified claims are verified; the
// others are shown as what they are, never as verified.
double EvidenceConfidence(Evidence e);
inline bool EvidenceVerified(Evidence e) { return e == Evidence::kObserved || e == Evidence::kCertified; }

// The six essential characteristics of a cloud service (reference 7, C4-C9).
enum class Characteristic {
  kOnDemandSelfService,
  kBroadNetworkAccess,
  kRapidElasticity,
  kResourcePooling,
  kMultiTenancy,
  kMeasuredService,
};
inline constexpr int kNumCharacteristics = 6;
inline constexpr std::array<std::string_view, kNumCharacteristics> kCharacteristicNames = {
    "on_demand_self_service", "broad_network_access", "rapid_elasticity", "resource_pooling", "multi_tenancy", "measured_service"};
std::optional<Characteristic> CharacteristicFromName(std::string_view s);

// What the provider claims of one characteristic, and how that is backed.
struct CharacteristicClaim {
  bool supported = false;
  Evidence evidence = Evidence::kDeclared;  // certified, documented or declared
  std::string source;                     // certificate id, document URL, ...
};

enum class BillingPeriod { kHour, kMonth, kYear };
std::string_view BillingPeriodName(BillingPeriod b);
// Billing periods in a month: 730 hours (8,760 / 12), 1 month, 1/12 year.
double PeriodsPerMonth(BillingPeriod b);

// A priced offer. Unit prices are per unit of usage as the unit's name says
// (vcpu_hour: one vCPU for one hour; storage_gb_month: one GB for a month).
struct Offer {
  std::string id;
  std::string name;
  std::string currency;
  BillingPeriod billing_period = BillingPeriod::kMonth;
  double fixed_fee = 0;  // per billing period
  std::map<std::string, double, std::less<>> unit_prices;
  double egress_per_gb = 0;
  double egress_free_gb = 0;  // per month
};

struct Region {
  std::string id;
  std::string country;
};

struct Certification {
  std::string id;
  std::string issuer;
  std::string scope;
  std::optional<TimePoint> valid_until;
  bool InForce(TimePoint t) const { return !valid_until || *valid_until >= t; }
};

struct ProbeSettings {
  bool enabled = true;
  Millis interval{10000};
  Millis timeout{5000};
  std::vector<int> expect_status;  // empty: any 2xx
  std::string expect_body;         // empty: no body check
};

struct Endpoint {
  std::string id;
  std::string url;
  ProbeSettings probe;
};

struct AdapterRef {
  std::string adapter;
  std::string credentials;  // a name in the serve --credentials file; empty: none
  std::string config_json;  // without secrets; checked against the adapter's schema when stored
  // Calls in flight at the provider through this adapter at most; unset:
  // serve --provider-calls.
  std::optional<int> calls_in_flight;
};

struct Provider {
  std::string id;
  std::string name;
  std::string description;
  ServiceModel service_model = ServiceModel::kIaaS;
  std::vector<Region> regions;
  std::vector<Certification> certifications;
  std::vector<Endpoint> endpoints;
  std::map<std::string, AdapterRef> adapters;  // capability -> adapter
  std::array<std::optional<CharacteristicClaim>, kNumCharacteristics> characteristics;
  std::vector<Offer> offers;
};

struct Checklist {
  Evidence evidence = Evidence::kUnknown;
  int met = 0;
  int total = 0;
  double Percent() const { return total == 0 ? 0.0 : 100.0 * met / total; }
};

struct CreditTier {
  double below_percent;
  double credit_percent;
};

struct Money {
  double amount;
  std::string currency;
};

struct SlaVersion {
  std::string version;
  TimePoint effective_from;
  // Published value per kTargets index; checklists hold their percent met.
  std::array<std::optional<double>, kNumTargets> targets{};
  // Normalised scores (model/criteria.h anchors; 0 when unpublished) and their
  // per-criterion means. They depend on this document only, so they are
  // computed once at load instead of on every rank request.
  std::array<double, kNumTargets> target_scores{};
  std::array<double, kNumCriteria> criterion_scores{};
  // Each criterion's targets as the JSON object the rank answer shows
  // ({"availability_percent":{"value":99.95,"score":0.433677}, ...}; value
  // null = not published, scoring 0; checklists add their evidence level).
  std::string_view TargetsJson(int criterion) const { return RenderedPart(criterion); }
  // criterion_scores rounded to 6 places, as the answer writes them.
  std::string_view CriterionScoreJson(int criterion) const { return RenderedPart(kNumCriteria + criterion); }
  // Both rendered once at load (every rank answer embeds them for each
  // returned provider), into one buffer of exactly their size: a catalog of
  // 10,000 providers holds them all.
  std::string rendered;
  std::array<uint32_t, 2 * kNumCriteria + 1> rendered_at{};
  std::string_view RenderedPart(int i) const {
    return std::string_view(rendered).substr(rendered_at[i], rendered_at[i + 1] - rendered_at[i]);
  }
  std::map<std::string, Checklist> checklists;
  // The evidence level of a management-check target; unknown when absent.
  Evidence ChecklistEvidence(std::string_view target) const {
    auto it = checklists.find(std::string(target));
    return it == checklists.end() ? Evidence::kUnknown : it->second.evidence;
  }
  int maintenance_notice_days = 7;
  std::string time_zone = "UTC";
  std::vector<CreditTier> credit_tiers;
  std::optional<Money> monthly_fee;
  std::string fee_basis = "monthly_fee";
};

struct Bound {
  std::optional<double> min;
  std::optional<double> max;
};

struct Constraints {
  std::vector<ServiceModel> service_models;  // empty = any
  std::vector<std::string> countries;        // empty = any
  std::vector<std::string> certifications;   // all required
  std::map<int, Bound> targets;              // kTargets index -> bound
  bool exclude_cloud_washing = false;        // exclude providers whose observations contradict a claim
  // Every essential characteristic met with evidence at least this strong.
  std::optional<Evidence> essential_characteristics;
};

// What the customer will use per month, to price offers, and the budget.
struct CostRequirements {
  std::string currency;                                  // the one costs are compared in
  std::map<std::string, double, std::less<>> usage;      // unit -> quantity per month
  double egress_gb = 0;                                  // per month
  std::optional<double> monthly_budget;                  // hard cap on the billed monthly cost
  std::map<std::string, double, std::less<>> exchange_rates;  // 1 unit of key = value units of `currency`
};

enum class EvidenceBasis { kPublished, kMeasured, kBoth };
std::string_view EvidenceBasisName(EvidenceBasis b);

// AHP judgements: matrix[i][j] says how much more criteria[i] matters than
// criteria[j] (Saaty's 1-9 scale; reciprocal, ones on the diagonal).
struct PairwiseComparisons {
  std::vector<int> columns;  // kColumnNames indices (criteria, or cost)
  std::vector<std::vector<double>> matrix;
};

struct Profile {
  std::string id;
  std::string description;
  Constraints constraints;
  std::array<double, kNumColumns> weights{};  // all zero in the document = equal criteria weights, cost 0
  std::string policy = "weighted_sum";
  EvidenceBasis evidence = EvidenceBasis::kPublished;
  std::optional<PairwiseComparisons> pairwise;
  bool accept_inconsistent = false;  // rank with AHP even when CR > 0.1
  std::optional<CostRequirements> cost;
};

Result<Provider> ProviderFromJson(const nlohmann::json& doc);
Result<SlaVersion> SlaFromJson(const nlohmann::json& doc);
// Also accepts the inline profile of a rank request (no id).
Result<Profile> ProfileFromJson(const nlohmann::json& doc);

}  // namespace icb
