// Cost, the cloud-washing check, evidence-weighted management checks, and
// known-answer tests for TOPSIS and AHP from published worked examples.
#include <gtest/gtest.h>

#include <cmath>

#include "broker/core/time.h"
#include "broker/ranking/cloud_check.h"
#include "broker/ranking/cost.h"
#include "broker/ranking/ranker.h"
#include "policies/ahp.h"
#include "policies/topsis.h"
#include "policies/weighted_sum.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;
const TimePoint kAt = *ParseRfc3339("2026-11-23T00:00:00Z");

// ------------------------------------------------------------ known answers

TEST(KnownAnswer, TopsisSennarogluExample) {
  // B. Sennaroglu, Decision Analysis lecture notes (2009), "TOPSIS Example",
  // after K. P. Yoon and C.-L. Hwang, Multiple Attribute Decision Making: An
  // Introduction (Sage, 1995): three alternatives on two benefit attributes,
  // (17, 12), (10, 9), (8, 6), weights 0.714 and 0.286. The published
  // weighted normalised matrix is
  //   V = [[0.5703, 0.2124], [0.3355, 0.1593], [0.2684, 0.1062]],
  // so the ideal is row 1 and the anti-ideal row 3 (closeness 1 and 0), and
  // row 2: S+ = sqrt(0.2348^2 + 0.0531^2) = 0.24073, S- = sqrt(0.0671^2 +
  // 0.0531^2) = 0.08557, C = 0.08557 / 0.32630 = 0.2622.
  DecisionMatrix m;
  m.rows = 3;
  m.cols = 2;
  m.cells = {17, 12, 10, 9, 8, 6};
  m.weights = {0.714, 0.286};
  auto r = *TopsisPolicy().Score(m, Profile{});
  EXPECT_NEAR(r.scores[0], 1.0, 1e-12);
  EXPECT_NEAR(r.scores[1], 0.2622, 5e-4);
  EXPECT_NEAR(r.scores[2], 0.0, 1e-12);
  // The published V, cell by cell: weight x value / column norm (sqrt(453), sqrt(261)).
  EXPECT_NEAR(0.714 * 17 / std::sqrt(453.0), 0.5703, 5e-5);
  EXPECT_NEAR(0.286 * 9 / std::sqrt(261.0), 0.1593, 5e-5);
}

TEST(KnownAnswer, AhpSaatyThreeByThree) {
  // T. L. Saaty's textbook 3 x 3 example (The Analytic Hierarchy Process,
  // 1980), reproduced in most AHP course notes: A = [[1, 3, 5], [1/3, 1, 3],
  // [1/5, 1/3, 1]] gives priorities (0.637, 0.258, 0.105), lambda_max = 3.039
  // and CR = 0.033 (RI(3) = 0.58).
  auto w = AhpFromMatrix({{1, 3, 5}, {1.0 / 3, 1, 3}, {1.0 / 5, 1.0 / 3, 1}});
  EXPECT_NEAR(w.weights[0], 0.637, 5e-4);
  EXPECT_NEAR(w.weights[1], 0.258, 5e-4);
  EXPECT_NEAR(w.weights[2], 0.105, 5e-4);
  EXPECT_NEAR(w.lambda_max, 3.039, 5e-4);
  EXPECT_NEAR(w.consistency_ratio, 0.033, 5e-4);
}

// --------------------------------------------------------------------- cost

Offer HourlyOffer() {
  Offer o;
  o.id = "payg";
  o.currency = "KRW";
  o.billing_period = BillingPeriod::kHour;
  o.fixed_fee = 10;  // per hour: 7,300 a month
  o.unit_prices = {{"vcpu_hour", 50}, {"storage_gb_month", 100}};
  o.egress_per_gb = 120;
  o.egress_free_gb = 100;
  return o;
}

CostRequirements Usage() {
  CostRequirements r;
  r.currency = "KRW";
  r.usage = {{"vcpu_hour", 1460}, {"storage_gb_month", 200}};  // 2 vCPU all month
  r.egress_gb = 300;
  return r;
}

TEST(Cost, HourlyOfferByHand) {
  // 10 x 730 + 1460 x 50 + 200 x 100 + (300 - 100) x 120 = 7,300 + 73,000 + 20,000 + 24,000.
  EXPECT_DOUBLE_EQ(*PriceOffer(HourlyOffer(), Usage()).monthly, 124300);
  CostRequirements less_egress = Usage();
  less_egress.egress_gb = 50;  // under the free allowance: no egress charge
  EXPECT_DOUBLE_EQ(*PriceOffer(HourlyOffer(), less_egress).monthly, 100300);
}

TEST(Cost, YearlyFeeIsSpreadOverTwelveMonths) {
  Offer yearly = HourlyOffer();
  yearly.billing_period = BillingPeriod::kYear;
  yearly.fixed_fee = 1200000;  // 100,000 a month
  EXPECT_DOUBLE_EQ(*PriceOffer(yearly, Usage()).monthly, 100000 + 73000 + 20000 + 24000);
}

TEST(Cost, CheapestApplicableOfferInTheProfileCurrencyWithCredits) {
  Provider p;
  p.id = "p";
  Offer usd = HourlyOffer();
  usd.id = "usd";
  usd.currency = "USD";
  usd.fixed_fee = 0;
  usd.unit_prices = {{"vcpu_hour", 0.03}, {"storage_gb_month", 0.05}};
  usd.egress_per_gb = 0.05;
  Offer partial = HourlyOffer();
  partial.id = "no-storage";
  partial.unit_prices.erase("storage_gb_month");
  p.offers = {HourlyOffer(), usd, partial};

  CostRequirements req = Usage();
  auto no_rate = EstimateCost(p, req, std::nullopt);
  EXPECT_EQ(no_rate.estimate->offer, "payg");  // usd has no rate, no-storage lacks a price
  req.exchange_rates = {{"USD", 1400}};
  // (1460 x 0.03 + 200 x 0.05 + 200 x 0.05) USD = 63.8 USD = 89,320 KRW, cheaper than 124,300.
  auto out = EstimateCost(p, req, 10.0);
  ASSERT_TRUE(out.estimate);
  EXPECT_EQ(out.estimate->offer, "usd");
  EXPECT_NEAR(out.estimate->monthly, 89320, 1e-6);
  EXPECT_NEAR(out.estimate->expected_credit, 8932, 1e-6);  // 10 % expected credit
  EXPECT_NEAR(out.estimate->effective, 80388, 1e-6);

  p.offers = {partial};
  auto none = EstimateCost(p, req, std::nullopt);
  EXPECT_FALSE(none.estimate);
  ASSERT_EQ(none.reasons.size(), 1u);
  EXPECT_EQ(none.reasons[0], "offer no-storage has no price for storage_gb_month");
}

// -------------------------------------------------------- cloud-washing check

CharacteristicCheckEvent Check(Characteristic c, bool passed, const char* at, std::string detail = "") {
  return {*ParseRfc3339(at), c, passed, std::move(detail)};
}

TEST(CloudCheck, ObservedFailureOutweighsACertificateAndFlags) {
  Provider p;
  for (auto& c : p.characteristics) c = CharacteristicClaim{true, Evidence::kCertified, "KACI"};
  auto clean = CheckCloud(p, {}, kAt);
  EXPECT_TRUE(clean.secured);
  EXPECT_FALSE(clean.flagged);
  EXPECT_EQ(clean.items[0].evidence, Evidence::kCertified);

  std::vector<CharacteristicCheckEvent> seen = {
      Check(Characteristic::kRapidElasticity, true, "2026-11-01T00:00:00Z"),
      Check(Characteristic::kRapidElasticity, false, "2026-11-10T00:00:00Z", "scale request ticketed, 3 days"),
      Check(Characteristic::kOnDemandSelfService, false, "2026-12-01T00:00:00Z"),  // after now: ignored
  };
  auto c = CheckCloud(p, seen, kAt);
  const auto& elastic = c.items[static_cast<int>(Characteristic::kRapidElasticity)];
  EXPECT_FALSE(elastic.met);
  EXPECT_EQ(elastic.evidence, Evidence::kObserved);
  EXPECT_TRUE(elastic.contradicted);
  EXPECT_TRUE(c.flagged);
  EXPECT_FALSE(c.secured);
  EXPECT_TRUE(c.items[0].met);  // the December failure is not yet known

  auto violations = [&](const Constraints& cons) {
    ExclusionReasons out;
    CloudViolations(c, cons, out);
    EXPECT_EQ(out.reasons.empty(), out.constraints.empty());
    return out.reasons;
  };
  Constraints none;
  EXPECT_TRUE(violations(none).empty());
  Constraints exclude;
  exclude.exclude_cloud_washing = true;
  auto reasons = violations(exclude);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "cloud-washing check: rapid_elasticity is claimed (certified) but the broker observed it fail at 2026-11-10T00:00:00Z: "
                        "scale request ticketed, 3 days");
}

TEST(CloudCheck, EvidenceLevelsAndUnknown) {
  Provider p;
  p.characteristics[0] = CharacteristicClaim{true, Evidence::kDocumented, ""};
  p.characteristics[1] = CharacteristicClaim{true, Evidence::kDeclared, ""};
  p.characteristics[2] = CharacteristicClaim{false, Evidence::kDocumented, ""};  // says it cannot
  // 3, 4, 5: no claim at all -> unknown.
  auto c = CheckCloud(p, {Check(Characteristic::kResourcePooling, true, "2026-11-01T00:00:00Z")}, kAt);
  EXPECT_FALSE(c.flagged);  // nothing claimed was seen to fail
  EXPECT_FALSE(c.secured);
  EXPECT_EQ(c.items[3].evidence, Evidence::kObserved);
  EXPECT_EQ(c.items[4].evidence, Evidence::kUnknown);
  Constraints documented;
  documented.essential_characteristics = Evidence::kDocumented;
  ExclusionReasons out;
  CloudViolations(c, documented, out);
  EXPECT_EQ(out.constraints.Pointers(), std::vector<std::string_view>{"/constraints/essential_characteristics"});
  const auto& reasons = out.reasons;
  std::vector<std::string> expected = {
      "essential characteristic broad_network_access only declared (required documented or stronger)",
      "essential characteristic rapid_elasticity not met (documented)",
      "essential characteristic multi_tenancy not met (unknown)",
      "essential characteristic measured_service not met (unknown)",
  };
  EXPECT_EQ(reasons, expected);
}

// ---------------------------------------------------------- in the ranking

class ProcurementRankTest : public ::testing::Test {
 protected:
  ProcurementRankTest() : store_(NewMemoryStore()), catalog_(*store_, *SchemaSet::LoadEmbedded()) {}

  void Add(const std::string& id, double vcpu_price, json targets = {{"availability_percent", 99.9}}) {
    json p = testing::ProviderDoc(id);
    p["offers"] = {{{"id", "payg"}, {"currency", "KRW"}, {"billing_period", "hour"}, {"unit_prices", {{"vcpu_hour", vcpu_price}}}}};
    ASSERT_TRUE(catalog_.PutProvider(id, p).ok());
    ASSERT_TRUE(catalog_.AppendSla(id, testing::SlaDoc("v1", "2026-01-01T00:00:00Z", std::move(targets))).ok());
  }

  Result<RankResult> RankWith(json profile, const RankInputs& inputs = {}) {
    auto p = ProfileFromJson(profile);
    if (!p.ok()) return p.status();
    return Rank(**catalog_.Snapshot(), *p, policy_, kAt, 0, inputs);
  }

  std::unique_ptr<Store> store_;
  Catalog catalog_;
  WeightedSumPolicy policy_;
};

TEST_F(ProcurementRankTest, CostScoresCheapestOverOwnAndBudgetExcludes) {
  Add("cheap", 40);
  Add("dear", 50);
  json profile = {{"weights", {{"availability", 1}, {"cost", 1}}},
                  {"cost", {{"currency", "KRW"}, {"usage", {{"vcpu_hour", 1000}}}}}};
  auto r = *RankWith(profile);
  ASSERT_EQ(r.ranking.size(), 2u);
  EXPECT_EQ(r.ranking[0].provider, "cheap");
  EXPECT_DOUBLE_EQ(r.ranking[0].criteria[kCostColumn].score, 1.0);
  EXPECT_DOUBLE_EQ(r.ranking[1].criteria[kCostColumn].score, 40000.0 / 50000.0);
  EXPECT_DOUBLE_EQ(r.ranking[1].cost->monthly, 50000);

  // Expected credits lower the effective cost: 25 % off "dear" makes it the cheaper.
  std::map<std::string, double, std::less<>> credits = {{"dear", 25.0}};
  auto with_credits = *RankWith(profile, {nullptr, &credits, nullptr});
  EXPECT_EQ(with_credits.ranking[0].provider, "dear");
  EXPECT_DOUBLE_EQ(with_credits.ranking[0].cost->effective, 37500);

  profile["cost"]["monthly_budget"] = 45000;
  auto capped = *RankWith(profile);
  ASSERT_EQ(capped.ranking.size(), 1u);
  ASSERT_EQ(capped.excluded.size(), 1u);
  EXPECT_EQ(capped.excluded[0].reasons, std::vector<std::string>{"monthly cost 50000 KRW (offer payg) exceeds the budget 45000"});
}

TEST_F(ProcurementRankTest, DearerDominatedProviderNeverReordersTheOthers) {
  Add("a", 40, {{"availability_percent", 99.95}});
  Add("b", 45, {{"availability_percent", 99.99}});
  json profile = {{"weights", {{"availability", 1}, {"cost", 1}}}, {"cost", {{"currency", "KRW"}, {"usage", {{"vcpu_hour", 1000}}}}}};
  auto before = *RankWith(profile);
  Add("worse", 60, {{"availability_percent", 99.9}});  // dearer and less available than both
  auto after = *RankWith(profile);
  ASSERT_EQ(after.ranking.size(), 3u);
  EXPECT_EQ(after.ranking[2].provider, "worse");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after.ranking[i].provider, before.ranking[i].provider);
    EXPECT_DOUBLE_EQ(after.ranking[i].score, before.ranking[i].score);
  }
}

TEST_F(ProcurementRankTest, WeighingCostNeedsUsageAndOffers) {
  auto bad = RankWith({{"weights", {{"cost", 1}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().errors().at(0).pointer, "/weights/cost");
  json p = testing::ProviderDoc("no-offers");
  ASSERT_TRUE(catalog_.PutProvider("no-offers", p).ok());
  ASSERT_TRUE(catalog_.AppendSla("no-offers", testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  auto r = *RankWith({{"weights", {{"cost", 1}}}, {"cost", {{"currency", "KRW"}, {"usage", {{"vcpu_hour", 10}}}}}});
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].reasons, std::vector<std::string>{"cost: no offers published, so the cost cannot be estimated"});
}

TEST_F(ProcurementRankTest, ManagementChecksCountByEvidenceAndDeclaredIsNotVerified) {
  json all = {{"support_channels", true}, {"failure_notification", true}, {"real_time_monitoring", true}, {"support_documents", true}};
  json certified = all, declared = all, unknown = all;
  certified["evidence"] = "certified";
  declared["evidence"] = "declared";
  unknown["evidence"] = "unknown";
  Add("certified", 1, {{"customer_response_system", certified}});
  Add("declared", 1, {{"customer_response_system", declared}});
  Add("unknown", 1, {{"customer_response_system", unknown}});
  auto r = *RankWith({{"weights", {{"customer_response", 1}}}});
  ASSERT_EQ(r.ranking.size(), 3u);
  // customer_response = mean of customer_response_system and the unpublished
  // complaint_handling_system: (1 x confidence + 0) / 2.
  EXPECT_EQ(r.ranking[0].provider, "certified");
  EXPECT_DOUBLE_EQ(r.ranking[0].criteria[6].score, 0.9 / 2);
  EXPECT_DOUBLE_EQ(r.ranking[1].criteria[6].score, 0.5 / 2);
  EXPECT_DOUBLE_EQ(r.ranking[2].criteria[6].score, 0.0);
  json shown = json::parse(r.ranking[1].sla->TargetsJson(6));
  EXPECT_EQ(shown["customer_response_system"]["evidence"], "declared");
  EXPECT_EQ(shown["customer_response_system"]["verified"], false);
  EXPECT_TRUE(shown["customer_response_system"]["value"] == 100);
  // With no evidence at all the items are not known to be met: a bound on them fails.
  auto bounded = *RankWith({{"constraints", {{"targets", {{"customer_response_system", {{"min", 50}}}}}}}});
  ASSERT_EQ(bounded.excluded.size(), 1u);
  EXPECT_EQ(bounded.excluded[0].provider, "unknown");
  EXPECT_EQ(bounded.excluded[0].reasons, std::vector<std::string>{"customer_response_system not published (required >= 50)"});
}

TEST_F(ProcurementRankTest, CloudWashingFlagExcludesWhenTheProfileSaysSo) {
  Add("honest", 1);
  Add("washer", 1);
  json washer = testing::ProviderDoc("washer");
  washer["characteristics"] = {{"rapid_elasticity", {{"supported", true}, {"evidence", "documented"}}}};
  ASSERT_TRUE(catalog_.PutProvider("washer", washer).ok());
  ObservationMap seen = {{"washer", {Check(Characteristic::kRapidElasticity, false, "2026-11-20T00:00:00Z", "capacity added by ticket")}}};
  auto kept = *RankWith({{"weights", {{"availability", 1}}}}, {nullptr, nullptr, &seen});
  EXPECT_EQ(kept.ranking.size(), 2u);
  EXPECT_TRUE(kept.ranking[1].cloud->flagged || kept.ranking[0].cloud->flagged);
  auto r = *RankWith({{"constraints", {{"exclude_cloud_washing", true}}}}, {nullptr, nullptr, &seen});
  ASSERT_EQ(r.ranking.size(), 1u);
  EXPECT_EQ(r.ranking[0].provider, "honest");
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_NE(r.excluded[0].reasons[0].find("rapid_elasticity is claimed (documented) but the broker observed it fail"), std::string::npos);
}

}  // namespace
}  // namespace icb
