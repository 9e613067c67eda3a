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
  std::string config_json;  // validated by the adapter's own schema when used
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
  // Rendered once here: every rank answer embeds it for each returned provider.
  std::array<std::string, kNumCriteria> targets_json;
  std::map<std::string, Checklist> checklists;
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
};

enum class EvidenceBasis { kPublished, kMeasured, kBoth };
std::string_view EvidenceBasisName(EvidenceBasis b);

// AHP judgements: matrix[i][j] says how much more criteria[i] matters than
// criteria[j] (Saaty's 1-9 scale; reciprocal, ones on the diagonal).
struct PairwiseComparisons {
  std::vector<Criterion> criteria;
  std::vector<std::vector<double>> matrix;
};

struct Profile {
  std::string id;
  std::string description;
  Constraints constraints;
  std::array<double, kNumCriteria> weights{};  // all zero in the document = equal weights
  std::string policy = "weighted_sum";
  EvidenceBasis evidence = EvidenceBasis::kPublished;
  std::optional<PairwiseComparisons> pairwise;
  bool accept_inconsistent = false;  // rank with AHP even when CR > 0.1
};

Result<Provider> ProviderFromJson(const nlohmann::json& doc);
Result<SlaVersion> SlaFromJson(const nlohmann::json& doc);
// Also accepts the inline profile of a rank request (no id).
Result<Profile> ProfileFromJson(const nlohmann::json& doc);

}  // namespace icb
