#include <gtest/gtest.h>

#include <random>

#include "broker/core/time.h"
#include "broker/ranking/ranker.h"
#include "policies/weighted_sum.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::ProviderDoc;
using testing::SlaDoc;

const TimePoint kNow = *ParseRfc3339("2026-11-23T00:00:00Z");

class RankingTest : public ::testing::Test {
 protected:
  RankingTest() : store_(NewMemoryStore()), catalog_(*store_, *SchemaSet::LoadEmbedded()) {}

  void Add(const std::string& id, json targets, json provider_patch = json::object()) {
    json p = ProviderDoc(id);
    p.merge_patch(provider_patch);
    ASSERT_TRUE(catalog_.PutProvider(id, p).ok());
    ASSERT_TRUE(catalog_.AppendSla(id, SlaDoc("v1", "2026-01-01T00:00:00Z", std::move(targets))).ok());
  }

  RankResult RankWith(const json& profile_doc, size_t top_k = 0) {
    auto profile = ProfileFromJson(profile_doc);
    EXPECT_TRUE(profile.ok());
    auto r = Rank(**catalog_.Snapshot(), *profile, policy_, kNow, top_k);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  std::vector<std::string> Order(const RankResult& r) {
    std::vector<std::string> out;
    for (const auto& p : r.ranking) out.push_back(p.provider);
    return out;
  }

  std::unique_ptr<Store> store_;
  Catalog catalog_;
  WeightedSumPolicy policy_;
};

const json kPerfectReliability = {{"mttr_minutes", 5}, {"max_recovery_minutes", 15}, {"backup_period_hours", 1},
                                  {"backup_compliance_percent", 100}, {"backup_retention_days", 90}};

TEST_F(RankingTest, WeightedSumByHand) {
  // Weights availability 1, reliability 1 -> 0.5 each.
  // a: availability 99.0 -> 0; reliability all at the best anchors -> 1.  Score 0.5 * 0 + 0.5 * 1 = 0.5
  // b: availability 99.999 -> 1; mttr 240 -> 0, the rest unpublished -> 0. Score 0.5
  // c: availability 99.9 -> 1/3; reliability as a.                        Score 0.5/3 + 0.5 = 2/3
  json a = kPerfectReliability;
  a["availability_percent"] = 99.0;
  json c = kPerfectReliability;
  c["availability_percent"] = 99.9;
  Add("b", {{"availability_percent", 99.999}, {"mttr_minutes", 240}});
  Add("a", a);
  Add("c", c);
  auto r = RankWith({{"weights", {{"availability", 1}, {"reliability", 1}}}});
  ASSERT_EQ(Order(r), (std::vector<std::string>{"c", "a", "b"}));  // a and b tie at 0.5: id order
  EXPECT_NEAR(r.ranking[0].score, 2.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(r.ranking[1].score, 0.5);
  EXPECT_DOUBLE_EQ(r.ranking[2].score, 0.5);
  EXPECT_EQ(r.ranking[1].rank, 2);
  EXPECT_EQ(r.ranking[2].rank, 3);
  // Breakdown of c: availability score 1/3, weight 0.5, contribution 1/6.
  const auto& avail = r.ranking[0].criteria[static_cast<int>(Criterion::kAvailability)];
  EXPECT_NEAR(avail.score, 1.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(avail.weight, 0.5);
  EXPECT_NEAR(avail.contribution, 1.0 / 6, 1e-9);
  EXPECT_EQ(*r.ranking[0].sla->targets[*TargetIndex("availability_percent")], 99.9);
  // b's reliability: mttr scores 0 and the four unpublished targets score 0.
  const auto& rel = r.ranking[2].criteria[static_cast<int>(Criterion::kReliability)];
  EXPECT_DOUBLE_EQ(rel.score, 0.0);
  auto targets = json::parse(r.ranking[2].sla->TargetsJson(static_cast<int>(Criterion::kReliability)));
  EXPECT_EQ(targets.size(), 5u);
  EXPECT_EQ(targets["mttr_minutes"]["value"], 240);
  EXPECT_EQ(targets["mttr_minutes"]["score"], 0);
  EXPECT_TRUE(targets["backup_period_hours"]["value"].is_null());
  EXPECT_EQ(targets["backup_period_hours"]["score"], 0);
}

TEST_F(RankingTest, NoWeightsMeansEqualWeights) {
  Add("a", {{"availability_percent", 99.9}});
  auto r = RankWith(json::object());
  for (int c = 0; c < kNumCriteria; ++c) EXPECT_DOUBLE_EQ(r.weights[c], 1.0 / 7);
  EXPECT_EQ(r.weights[kCostColumn], 0);  // cost counts only when the profile weighs it
  EXPECT_NEAR(r.ranking[0].score, (1.0 / 3) / 7, 1e-12);
}

TEST_F(RankingTest, ExclusionsNameTheValueAndTheBound) {
  Add("slow", {{"availability_percent", 99.5}, {"response_ms_p95", 400}}, {{"service_model", "SaaS"}});
  Add("abroad", {{"availability_percent", 99.99}}, {{"regions", {{{"id", "us-east-1"}, {"country", "US"}}}}, {"service_model", "SaaS"}});
  Add("expired", {{"availability_percent", 99.99}, {"response_ms_p95", 100}},
      {{"service_model", "SaaS"}, {"certifications", {{{"id", "NIPA-QP"}, {"valid_until", "2025-12-31T00:00:00Z"}}}}});
  Add("iaas", {{"availability_percent", 99.99}, {"response_ms_p95", 100}},
      {{"certifications", {{{"id", "NIPA-QP"}}}}});
  auto r = RankWith({{"constraints",
                      {{"service_models", {"SaaS"}},
                       {"countries", {"KR"}},
                       {"certifications", {"NIPA-QP"}},
                       {"targets", {{"availability_percent", {{"min", 99.9}}}, {"response_ms_p95", {{"max", 300}}}}}}}});
  EXPECT_TRUE(r.ranking.empty());
  std::map<std::string, std::vector<std::string>> reasons;
  for (const auto& e : r.excluded) reasons[e.provider] = e.reasons;
  EXPECT_EQ(reasons["slow"], (std::vector<std::string>{"certification NIPA-QP required but not held",
                                                       "availability_percent 99.5 < required 99.9",
                                                       "response_ms_p95 400 > allowed 300"}));
  EXPECT_EQ(reasons["abroad"], (std::vector<std::string>{"no region in required countries [KR]; regions: [us-east-1 (US)]",
                                                         "certification NIPA-QP required but not held",
                                                         "response_ms_p95 not published (required <= 300)"}));
  EXPECT_EQ(reasons["expired"], (std::vector<std::string>{"certification NIPA-QP expired at 2025-12-31T00:00:00Z"}));
  EXPECT_EQ(reasons["iaas"], (std::vector<std::string>{"service model IaaS not in required [SaaS]"}));
  EXPECT_EQ(r.excluded.size(), 4u);  // every provider, each with its reasons
}

TEST_F(RankingTest, ProviderWithoutSlaInForceIsExcluded) {
  ASSERT_TRUE(catalog_.PutProvider("future", ProviderDoc("future")).ok());
  ASSERT_TRUE(catalog_.AppendSla("future", SlaDoc("v1", "2027-01-01T00:00:00Z", {{"availability_percent", 99.9}})).ok());
  auto r = RankWith(json::object());
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].reasons, (std::vector<std::string>{"no SLA in force at 2026-11-23T00:00:00Z"}));
}

TEST_F(RankingTest, TopKCutsTheRankingNotTheExclusions) {
  for (const char* id : {"a", "b", "c", "d"}) Add(id, {{"availability_percent", 99.9}});
  Add("low", {{"availability_percent", 98.0}});
  auto r = RankWith({{"constraints", {{"targets", {{"availability_percent", {{"min", 99}}}}}}}}, 2);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.excluded.size(), 1u);
}

TEST_F(RankingTest, ScalingAllWeightsChangesNothing) {
  Add("a", {{"availability_percent", 99.95}, {"response_ms_p95", 300}, {"mttr_minutes", 60}});
  Add("b", {{"availability_percent", 99.9}, {"response_ms_p95", 100}, {"scale_minutes", 5}});
  Add("c", {{"availability_percent", 99.99}, {"mttr_minutes", 20}});
  json w = {{"availability", 3}, {"responsiveness", 2}, {"scalability", 1}, {"reliability", 5}};
  json w10 = {{"availability", 30}, {"responsiveness", 20}, {"scalability", 10}, {"reliability", 50}};
  auto r1 = RankWith({{"weights", w}});
  auto r2 = RankWith({{"weights", w10}});
  ASSERT_EQ(Order(r1), Order(r2));
  for (size_t i = 0; i < r1.ranking.size(); ++i) EXPECT_NEAR(r1.ranking[i].score, r2.ranking[i].score, 1e-12);
}

TEST_F(RankingTest, AddingADominatedProviderNeverReordersTheOthers) {
  Add("a", {{"availability_percent", 99.95}, {"response_ms_p95", 300}, {"mttr_minutes", 60}});
  Add("b", {{"availability_percent", 99.9}, {"response_ms_p95", 100}, {"scale_minutes", 5}});
  Add("c", {{"availability_percent", 99.99}, {"mttr_minutes", 20}});
  json profile = {{"weights", {{"availability", 3}, {"responsiveness", 2}, {"scalability", 1}, {"reliability", 5}}}};
  auto before = Order(RankWith(profile));
  // Worse than everyone on every target anyone publishes.
  Add("dominated", {{"availability_percent", 95.0}, {"response_ms_p95", 9000}, {"mttr_minutes", 600}, {"scale_minutes", 120}});
  auto after = Order(RankWith(profile));
  after.erase(std::remove(after.begin(), after.end(), "dominated"), after.end());
  EXPECT_EQ(before, after);
}

TEST_F(RankingTest, TopKIsTheHeadOfTheFullRankingTiesInIdOrder) {
  // 40 providers on 4 distinct availability values: ten-way ties, added out
  // of id order. Every top k (the short-list pass and the sort) must be the
  // first k of the full ranking, equal scores in id order.
  const double values[] = {99.9, 99.95, 99.5, 99.99};
  for (int i = 39; i >= 0; --i) {
    char id[8];
    std::snprintf(id, sizeof id, "p%02d", (i * 7) % 40);
    Add(id, {{"availability_percent", values[i % 4]}});
  }
  json profile = {{"weights", {{"availability", 1}}}};
  auto full = RankWith(profile);
  ASSERT_EQ(full.ranking.size(), 40u);
  for (size_t i = 1; i < full.ranking.size(); ++i) {
    const auto& a = full.ranking[i - 1];
    const auto& b = full.ranking[i];
    EXPECT_TRUE(a.score > b.score || (a.score == b.score && a.provider < b.provider)) << a.provider << " before " << b.provider;
  }
  for (size_t k : {1, 3, 10, 11, 39, 40, 64, 65}) {
    auto top = RankWith(profile, k);
    auto head = Order(full);
    head.resize(std::min(k, head.size()));
    EXPECT_EQ(Order(top), head) << "top " << k;
    for (size_t i = 0; i < top.ranking.size(); ++i) EXPECT_EQ(top.ranking[i].rank, static_cast<int>(i + 1));
  }
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// The compiled filter and the worded check must name the same constraints
// for every provider: random providers (models, several regions, repeated
// and expiring certifications, partly published SLAs or none) against
// random constraints.
TEST(ConstraintFilter, AgreesWithConstraintViolations) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> countries = {"KR", "US", "JP", "DE", "FR"};
  const std::vector<std::string> certs = {"NIPA-QP", "ISO27001", "CSAP", "SOC2"};
  CatalogSnapshot snap;
  for (int i = 0; i < 400; ++i) {
    ProviderEntry e;
    e.provider.id = "p" + std::to_string(i);
    e.provider.service_model = static_cast<ServiceModel>(pick(3));
    for (int r = pick(3); r > 0; --r) e.provider.regions.push_back({"r" + std::to_string(r), countries[pick(5)]});
    for (int c = pick(4); c > 0; --c) {
      Certification cert;
      cert.id = certs[pick(4)];
      if (pick(3) == 0) cert.valid_until = kNow + std::chrono::hours(pick(2) ? 24 : -24);
      e.provider.certifications.push_back(cert);
    }
    if (pick(5) != 0) {
      SlaVersion sla;
      sla.version = "1";
      sla.effective_from = kNow - std::chrono::hours(1);
      for (int t = 0; t < kNumTargets; ++t)
        if (pick(3) != 0) sla.targets[t] = pick(100);
      e.slas.push_back(sla);
    }
    snap.providers.push_back(std::move(e));
  }
  const auto table = snap.RankTableAt(kNow);
  for (int round = 0; round < 300; ++round) {
    Constraints c;
    for (int m = 0; m < 3; ++m)
      if (pick(3) == 0) c.service_models.push_back(static_cast<ServiceModel>(m));
    for (int k = pick(3); k > 0; --k) c.countries.push_back(pick(6) ? countries[pick(5)] : "ZZ");
    for (int k = pick(3); k > 0; --k) c.certifications.push_back(pick(6) ? certs[pick(4)] : "UNHEARD-OF");
    for (int k = pick(4); k > 0; --k) {
      Bound b;
      if (pick(2)) b.min = pick(100);
      if (pick(2)) b.max = pick(100);
      c.targets[pick(kNumTargets)] = b;
    }
    const ConstraintFilter filter(c, *table);
    for (size_t i = 0; i < snap.providers.size(); ++i) {
      const SlaVersion* sla = table->sla[i];
      const ConstraintSet fast = filter.Failed(i, sla ? &table->targets[i * kNumTargets] : nullptr, kNow);
      const ExclusionReasons worded = ConstraintViolations(snap.providers[i].provider, sla ? &sla->targets : nullptr, c, kNow);
      ASSERT_EQ(fast.Pointers(), worded.constraints.Pointers()) << "round " << round << ", provider " << i;
      EXPECT_EQ(fast.empty(), worded.reasons.empty());
    }
  }
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// The compiled cost filter prices every provider as EstimateCost does: the
// same cheapest offer (first listed on ties) and the same double, or none.
// The compiled claim check names the constraint exactly when the worded one does.
TEST(CostFilter, AgreesWithEstimateCostAndClaims) {
  std::mt19937 rng(11);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> units = {"vcpu_hour", "memory_gb_hour", "storage_gb_month", "user_month", "gpu_hour"};
  const std::vector<std::string> currencies = {"KRW", "USD", "JPY", "EUR"};
  CatalogSnapshot snap;
  for (int i = 0; i < 300; ++i) {
    ProviderEntry e;
    e.provider.id = "p" + std::to_string(i);
    for (int o = pick(4); o > 0; --o) {
      Offer offer;
      offer.id = "o" + std::to_string(o);
      offer.currency = currencies[pick(4)];
      offer.billing_period = static_cast<BillingPeriod>(pick(3));
      offer.fixed_fee = pick(3) ? pick(50000) / 7.0 : 0;
      for (const auto& u : units)
        if (pick(4)) offer.unit_prices[u] = pick(10000) / 13.0;
      offer.egress_per_gb = pick(200) / 3.0;
      offer.egress_free_gb = pick(3) * 50;
      e.provider.offers.push_back(offer);
    }
    if (pick(8) == 0 && !e.provider.offers.empty()) e.provider.offers.push_back(e.provider.offers.front());  // a tie
    for (auto& claim : e.provider.characteristics)
      if (pick(6)) claim = CharacteristicClaim{pick(10) != 0, static_cast<Evidence>(pick(3)), ""};
    snap.providers.push_back(std::move(e));
  }
  const auto table = snap.RankTableAt(kNow);
  for (int round = 0; round < 200; ++round) {
    CostRequirements req;
    req.currency = currencies[pick(4)];
    for (const auto& u : units)
      if (pick(2)) req.usage[u] = pick(4) ? pick(3000) : 0;
    if (pick(5) == 0) req.usage["unheard_of_unit"] = 1;
    req.egress_gb = pick(2000);
    for (const auto& c : currencies)
      if (c != req.currency && pick(4)) req.exchange_rates[c] = pick(2000) / 3.0 + 0.5;
    Constraints cons;
    cons.essential_characteristics = static_cast<Evidence>(pick(4));
    const CostFilter filter(req, *table);
    for (size_t i = 0; i < snap.providers.size(); ++i) {
      const Provider& p = snap.providers[i].provider;
      const auto fast = filter.Price(i);
      const auto slow = EstimateCost(p, req, std::nullopt);
      ASSERT_EQ(fast.offer >= 0, slow.estimate.has_value()) << "round " << round << ", provider " << i;
      if (slow.estimate) {
        EXPECT_EQ(p.offers[static_cast<size_t>(fast.offer)].id, slow.estimate->offer);
        EXPECT_EQ(fast.offer, static_cast<int>(std::find_if(p.offers.begin(), p.offers.end(), [&](const Offer& o) { return o.id == slow.estimate->offer; }) - p.offers.begin()));
        EXPECT_EQ(fast.monthly, slow.estimate->monthly);  // bit for bit
        EXPECT_EQ(fast.rate, slow.estimate->rate);
      }
      ExclusionReasons worded;
      CloudViolations(CheckCloud(p, {}, kNow), cons, worded);
      EXPECT_EQ(ClaimViolations(*table, i, cons).Pointers(), worded.constraints.Pointers()) << "provider " << i;
    }
  }
}

}  // namespace
}  // namespace icb
