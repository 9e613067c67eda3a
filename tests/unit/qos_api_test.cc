// Measured QoS through the API routes (in-memory store).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/core/time.h"
#include "api_harness.h"
#include "test_docs.h"

namespace icb {
namespace {

using nlohmann::json;

class QosApiTest : public ::testing::Test, protected testing::ApiHarness {
 protected:
  QosApiTest() : ApiHarness("2026-12-05T00:00:00Z") {
    EXPECT_EQ(Call("PUT", {"v1", "providers", "p1"}, testing::ProviderDoc("p1").dump()).status, 201);
    json v1 = testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}, {"mttr_minutes", 60}, {"response_ms_p95", 150}});
    v1["credit_tiers"] = {{{"below_percent", 99.9}, {"credit_percent", 10}}, {{"below_percent", 99.5}, {"credit_percent", 20}},
                          {{"below_percent", 99.0}, {"credit_percent", 30}}};
    v1["monthly_fee"] = {{"amount", 1000}, {"currency", "KRW"}};
    EXPECT_EQ(Call("POST", {"v1", "providers", "p1", "slas"}, v1.dump()).status, 201);
    json v2 = testing::SlaDoc("v2", "2026-12-01T00:00:00Z", {{"availability_percent", 99.95}});
    EXPECT_EQ(Call("POST", {"v1", "providers", "p1", "slas"}, v2.dump()).status, 201);
  }

  HttpResponse Call(const std::string& method, std::vector<std::string> path, const std::string& body = "",
                    std::map<std::string, std::string> query = {}) {
    HttpRequest r;
    r.method = method;
    r.path = std::move(path);
    r.query = std::move(query);
    r.body = body;
    if (method != "GET") r.headers["content-type"] = "application/json";
    return api_.Handle(r);
  }

  // 60-second probes of p1/api from one vantage over [from, to), failing in [down_from, down_to).
  void PushMonth(const char* vantage, const char* from, const char* to, const char* down_from, const char* down_to) {
    TimePoint f = *ParseRfc3339(from), t = *ParseRfc3339(to), df = *ParseRfc3339(down_from), dt = *ParseRfc3339(down_to);
    json batch = {{"samples", json::array()}};
    auto flush = [&] {
      auto r = Call("POST", {"v1", "qos", "samples"}, batch.dump());
      ASSERT_EQ(r.status, 202) << r.body;
      batch["samples"] = json::array();
    };
    for (TimePoint x = f; x < t; x += std::chrono::minutes(1)) {
      bool ok = x < df || x >= dt;
      json s = {{"provider", "p1"}, {"endpoint", "api"}, {"vantage", vantage}, {"ts", FormatRfc3339(x)}, {"interval_s", 60}, {"ok", ok}};
      if (ok) s["latency_ms"] = 100;
      else s["error"] = "timeout";
      batch["samples"].push_back(s);
      if (batch["samples"].size() == 10000) flush();
    }
    if (!batch["samples"].empty()) flush();
  }

};

TEST_F(QosApiTest, WorkedExampleThroughTheApi) {
  PushMonth("seoul", "2026-10-31T00:00:00Z", "2026-12-01T01:00:00Z", "2026-11-10T12:00:00Z", "2026-11-10T12:45:00Z");
  auto r = Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"month", "2026-11"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = json::parse(r.body);
  EXPECT_EQ(m["from"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(m["window_minutes"], 43200);
  EXPECT_EQ(m["downtime_minutes"], 45);
  EXPECT_NEAR(m["availability_percent"].get<double>(), 99.89583333, 1e-8);
  EXPECT_EQ(m["mttr_minutes"], 45);
  EXPECT_EQ(m["coverage_percent"], 100);
  ASSERT_EQ(m["outages"].size(), 1u);
  EXPECT_EQ(m["outages"][0]["start"], "2026-11-10T12:00:00Z");
  EXPECT_EQ(m["response_ms"]["count"], 43200 - 45);
  EXPECT_EQ(m["response_ms"]["p95"], 100);

  auto report = Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2026-11"}});
  ASSERT_EQ(report.status, 200) << report.body;
  auto s = json::parse(report.body);
  EXPECT_EQ(s["sla_version"], "v1");  // v2 starts in December
  EXPECT_EQ(s["credit_percent"], 10);
  EXPECT_EQ(s["credit_amount"], 100);
  EXPECT_EQ(s["currency"], "KRW");
  ASSERT_EQ(s["notices"].size(), 1u);
  EXPECT_EQ(s["notices"][0], json({{"kind", "outage"}, {"at", "2026-11-10T12:00:00Z"}}));
  std::map<std::string, json> criteria;
  for (const auto& c : s["criteria"]) criteria[c["name"]] = c;
  EXPECT_EQ(criteria["availability_percent"]["met"], false);
  EXPECT_EQ(criteria["mttr_minutes"]["measured"], 45);
  EXPECT_EQ(criteria["mttr_minutes"]["met"], true);
  EXPECT_EQ(criteria["response_ms_p95"]["met"], true);
  // December is under v2 and has no outage.
  auto dec = json::parse(Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2026-12"}}).body);
  EXPECT_EQ(dec["sla_version"], "v2");
  EXPECT_EQ(dec["credit_percent"], 0);
}

TEST_F(QosApiTest, CreditTierBoundariesAreStrict) {
  // 43.2 min in a 30-day month is exactly 99.9 %: not below 99.9, so no credit (3.2, 10.j).
  std::vector<CreditTier> seed = {{99.9, 10}, {99.5, 20}, {99.0, 30}};
  EXPECT_EQ(CreditPercent(seed, 100.0 * (1 - 43.2 / 43200)), 0);
  EXPECT_EQ(CreditPercent(seed, 99.89999), 10);
  EXPECT_EQ(CreditPercent(seed, 99.5), 10);   // the seed: A = 99.5 gives 10 %
  EXPECT_EQ(CreditPercent(seed, 99.0), 20);   // and A = 99.0 gives 20 %
  EXPECT_EQ(CreditPercent(seed, 98.99), 30);
  EXPECT_EQ(CreditPercent({}, 50), 0);
}

TEST_F(QosApiTest, OneBadSampleRejectsTheWholeBatch) {
  json batch = {{"samples",
                 {{{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "v"}, {"ts", "2026-11-01T00:00:00Z"}, {"interval_s", 10}, {"ok", true}, {"latency_ms", 5}},
                  {{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "v"}, {"ts", "2026-11-01T00:00:10Z"}, {"interval_s", 10}, {"ok", false}, {"error", "dns"}}}}};
  auto r = Call("POST", {"v1", "qos", "samples"}, batch.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["errors"][0]["pointer"], "/samples/1/error");
  // Contradiction a schema cannot see: ok with an error.
  batch["samples"][1]["ok"] = true;
  batch["samples"][1]["error"] = "timeout";
  r = Call("POST", {"v1", "qos", "samples"}, batch.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["errors"][0]["pointer"], "/samples/1/error");
  // Unknown provider.
  batch["samples"][1]["error"] = nullptr;
  batch["samples"][1]["provider"] = "ghost";
  r = Call("POST", {"v1", "qos", "samples"}, batch.dump());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["errors"][0]["pointer"], "/samples/1/provider");
  // Nothing of the three attempts was stored.
  auto m = json::parse(Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"month", "2026-11"}}).body);
  EXPECT_EQ(m["coverage_percent"], 0);
  EXPECT_EQ(m["response_ms"]["count"], 0);
}

TEST_F(QosApiTest, RetriedSamplesAreStoredOnce) {
  json batch = {{"samples",
                 {{{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "v"}, {"ts", "2026-11-01T00:00:00Z"}, {"interval_s", 10}, {"ok", true}, {"latency_ms", 5}},
                  {{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "v"}, {"ts", "2026-11-01T00:00:10Z"}, {"interval_s", 10}, {"ok", true}, {"latency_ms", 7}}}}};
  EXPECT_EQ(json::parse(Call("POST", {"v1", "qos", "samples"}, batch.dump()).body), json({{"accepted", 2}, {"duplicates", 0}}));
  EXPECT_EQ(json::parse(Call("POST", {"v1", "qos", "samples"}, batch.dump()).body), json({{"accepted", 0}, {"duplicates", 2}}));
  auto m = json::parse(Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"from", "2026-11-01T00:00:00Z"}, {"to", "2026-11-01T01:00:00Z"}}).body);
  EXPECT_EQ(m["response_ms"]["count"], 2);
  EXPECT_EQ(m["response_ms"]["mean"], 6);
}

TEST_F(QosApiTest, EventsAndLateMaintenance) {
  // Down 02:00-03:00 on Nov 15; maintenance announced 3 days ahead (< 7): counted.
  PushMonth("v", "2026-11-14T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-15T02:00:00Z", "2026-11-15T03:00:00Z");
  json late = {{"kind", "maintenance"}, {"announced_at", "2026-11-12T02:00:00Z"}, {"start", "2026-11-15T02:00:00Z"}, {"end", "2026-11-15T03:00:00Z"}};
  auto added = Call("POST", {"v1", "providers", "p1", "events"}, late.dump());
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Call("POST", {"v1", "providers", "p1", "events"}, late.dump()).status, 200);  // retry: same id
  std::string id = json::parse(added.body)["id"];
  json other = late;
  other["id"] = id;
  other["end"] = "2026-11-15T04:00:00Z";
  EXPECT_EQ(Call("POST", {"v1", "providers", "p1", "events"}, other.dump()).status, 409);
  EXPECT_EQ(Call("POST", {"v1", "providers", "ghost", "events"}, late.dump()).status, 404);
  json backward = late;
  backward["end"] = "2026-11-15T01:00:00Z";
  auto bad = Call("POST", {"v1", "providers", "p1", "events"}, backward.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["errors"][0]["pointer"], "/end");

  auto m = json::parse(Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"month", "2026-11"}}).body);
  EXPECT_EQ(m["downtime_minutes"], 60);
  EXPECT_EQ(m["excluded_minutes"], 0);
  // The same window announced 10 days ahead would have been excluded.
  json timely = late;
  timely["announced_at"] = "2026-11-05T02:00:00Z";
  ASSERT_EQ(Call("POST", {"v1", "providers", "p1", "events"}, timely.dump()).status, 201);
  m = json::parse(Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"month", "2026-11"}}).body);
  EXPECT_EQ(m["downtime_minutes"], 0);
  EXPECT_EQ(m["excluded_minutes"], 60);

  auto events = json::parse(Call("GET", {"v1", "providers", "p1", "events"}, "", {{"kind", "maintenance"}}).body)["events"];
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(json::parse(Call("GET", {"v1", "providers", "p1", "events"}, "", {{"kind", "backup"}}).body)["events"].size(), 0u);
}

TEST_F(QosApiTest, RankOnMeasuredEvidence) {
  // At now (2026-12-05) p1's SLA in force is v2: 99.95 % and nothing else.
  // Over the 30 days before now it measured one 45-minute outage: 99.8958 %,
  // so its one comparable promise is broken (promise kept 0); its measured
  // MTTR (45 min) has no promise to compare with.
  PushMonth("seoul", "2026-11-04T00:00:00Z", "2026-12-05T00:00:00Z", "2026-11-20T08:00:00Z", "2026-11-20T08:45:00Z");
  // p2 promises 99.99 % and was never measured.
  ASSERT_EQ(Call("PUT", {"v1", "providers", "p2"}, testing::ProviderDoc("p2").dump()).status, 201);
  ASSERT_EQ(Call("POST", {"v1", "providers", "p2", "slas"}, testing::SlaDoc("a", "2026-01-01T00:00:00Z", {{"availability_percent", 99.99}}).dump()).status, 201);

  auto both = Call("POST", {"v1", "rank"}, R"({"profile":{"evidence":"both","weights":{"availability":1}}})");
  ASSERT_EQ(both.status, 200) << both.body;
  auto j = json::parse(both.body);
  std::map<std::string, json> by_id;
  for (const auto& p : j["ranking"]) by_id[p["provider"]] = p;
  const json& p1 = by_id["p1"];
  EXPECT_EQ(p1["measurement"]["sufficient"], true);
  EXPECT_EQ(p1["measurement"]["from"], "2026-11-05T00:00:00Z");
  EXPECT_EQ(p1["measurement"]["promise_kept"], 0);
  const json& avail = p1["criteria"]["availability"]["targets"]["availability_percent"];
  EXPECT_EQ(avail["published"], 99.95);
  EXPECT_NEAR(avail["measured"].get<double>(), 99.8958333, 1e-6);
  EXPECT_NEAR(avail["value"].get<double>(), 99.8958333, 1e-6);  // the worse of the two
  EXPECT_EQ(avail["promise_kept"], false);
  const json& mttr = p1["criteria"]["reliability"]["targets"]["mttr_minutes"];
  EXPECT_EQ(mttr["measured"], 45);
  EXPECT_TRUE(mttr["published"].is_null());
  EXPECT_FALSE(mttr.contains("promise_kept"));
  EXPECT_EQ(mttr["value"], 45);  // measured stands in where nothing was promised
  const json& p2 = by_id["p2"];
  EXPECT_EQ(p2["measurement"]["sufficient"], false);
  EXPECT_NE(p2["explanation"].get<std::string>().find("published values used"), std::string::npos);
  EXPECT_EQ(p2["criteria"]["availability"]["targets"]["availability_percent"]["value"], 99.99);

  // Measured only, with a hard bound: p1's measurement fails it, p2 (marked) passes on its promise.
  auto measured = Call("POST", {"v1", "rank"}, R"({"profile":{"evidence":"measured","constraints":{"targets":{"availability_percent":{"min":99.9}}}}})");
  ASSERT_EQ(measured.status, 200) << measured.body;
  j = json::parse(measured.body);
  ASSERT_EQ(j["ranking"].size(), 1u);
  EXPECT_EQ(j["ranking"][0]["provider"], "p2");
  ASSERT_EQ(j["excluded"].size(), 1u);
  EXPECT_EQ(j["excluded"][0]["provider"], "p1");
  EXPECT_NE(j["excluded"][0]["reasons"][0].get<std::string>().find("availability_percent 99.8958"), std::string::npos) << j["excluded"];
  // Published evidence ranks on the promises: p1 (99.9) passes the same bound.
  j = json::parse(Call("POST", {"v1", "rank"}, R"({"profile":{"evidence":"published","constraints":{"targets":{"availability_percent":{"min":99.9}}}}})").body);
  EXPECT_EQ(j["ranking"].size(), 2u);
}

TEST_F(QosApiTest, QueryErrors) {
  EXPECT_EQ(Call("GET", {"v1", "providers", "p1", "metrics"}).status, 400);
  EXPECT_EQ(Call("GET", {"v1", "providers", "p1", "metrics"}, "", {{"month", "2026-13"}}).status, 400);
  EXPECT_EQ(Call("GET", {"v1", "providers", "ghost", "metrics"}, "", {{"month", "2026-11"}}).status, 404);
  EXPECT_EQ(Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2025-11"}}).status, 404);  // no SLA then
  EXPECT_EQ(Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2026-11"}, {"billed", "1,x"}}).status, 400);
}

TEST_F(QosApiTest, AverageOfLastThreeMonthsAsFeeBasis) {
  json v3 = testing::SlaDoc("v3", "2027-01-01T00:00:00Z", {{"availability_percent", 99.9}});
  v3["credit_tiers"] = {{{"below_percent", 99.9}, {"credit_percent", 10}}};
  v3["monthly_fee"] = {{"amount", 1000}, {"currency", "KRW"}};
  v3["fee_basis"] = "average_last_3_months";
  ASSERT_EQ(Call("POST", {"v1", "providers", "p1", "slas"}, v3.dump()).status, 201);
  PushMonth("v", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-01-10T00:00:00Z", "2027-01-10T01:00:00Z");
  auto s = json::parse(Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2027-01"}, {"billed", "900,1200,1500"}}).body);
  EXPECT_EQ(s["fee_basis"], "average_last_3_months");
  EXPECT_EQ(s["fee_basis_amount"], 1200);
  EXPECT_EQ(s["credit_amount"], 120);
  // Without billed amounts the monthly fee is the basis.
  s = json::parse(Call("GET", {"v1", "providers", "p1", "sla-report"}, "", {{"month", "2027-01"}}).body);
  EXPECT_EQ(s["credit_amount"], 100);
}

}  // namespace
}  // namespace icb
