// Measured QoS through the API routes (in-memory store).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/core/time.h"
#include "tests/support/api_harness.h"
#include "tests/support/test_docs.h"

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

// The procurement report: November 2026 holds the reference worked example
// (45 minutes down: 99.8958 %, 10 % of the 1,000 KRW fee), the months before
// it have no data, and the provider claims an elasticity it was seen to lack.
TEST_F(QosApiTest, CompareReportWithCreditsCostAndCloudCheck) {
  json p1 = testing::ProviderDoc("p1");
  p1["offers"] = {{{"id", "payg"}, {"currency", "KRW"}, {"billing_period", "hour"}, {"unit_prices", {{"vcpu_hour", 50}}}}};
  p1["characteristics"] = {{"rapid_elasticity", {{"supported", true}, {"evidence", "declared"}}}};
  ASSERT_EQ(Call("PUT", {"v1", "providers", "p1"}, p1.dump()).status, 200);
  PushMonth("seoul", "2026-10-31T00:00:00Z", "2026-12-01T01:00:00Z", "2026-11-10T12:00:00Z", "2026-11-10T12:45:00Z");
  json check = {{"kind", "characteristic_check"}, {"at", "2026-11-20T00:00:00Z"}, {"characteristic", "rapid_elasticity"}, {"passed", false},
                {"detail", "scale-out took a support ticket"}};
  ASSERT_EQ(Call("POST", {"v1", "providers", "p1", "events"}, check.dump()).status, 201);

  json request = {{"profile", {{"weights", {{"availability", 1}, {"cost", 1}}},
                               {"cost", {{"currency", "KRW"}, {"usage", {{"vcpu_hour", 100}}}}}}},
                  {"providers", {"p1"}}};
  auto r = Call("POST", {"v1", "compare"}, request.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto j = json::parse(r.body);
  EXPECT_EQ(j["winner"], "p1");
  ASSERT_EQ(j["providers"].size(), 1u);
  const json& p = j["providers"][0];
  ASSERT_EQ(p["credits"].size(), 3u);
  EXPECT_EQ(p["credits"][0]["month"], "2026-09");
  EXPECT_EQ(p["credits"][0]["coverage_percent"], 0);
  EXPECT_EQ(p["credits"][2]["month"], "2026-11");
  EXPECT_EQ(p["credits"][2]["sla_version"], "v1");
  EXPECT_EQ(p["credits"][2]["availability_percent"], 99.8958);
  EXPECT_EQ(p["credits"][2]["credit_percent"], 10);
  EXPECT_EQ(p["credits"][2]["credit_amount"], 100);
  // Only November was measured, so 10 % is the expected credit: 5,000 billed, 4,500 effective.
  EXPECT_EQ(p["cost"]["monthly"], 5000);
  EXPECT_EQ(p["cost"]["expected_credit_percent"], 10);
  EXPECT_EQ(p["cost"]["effective"], 4500);
  // v2 (99.95 %) is in force on 5 December; the last 30 days measured 99.8958 %: promise broken.
  const json& a = p["criteria"]["availability"]["targets"]["availability_percent"];
  EXPECT_EQ(a["published"], 99.95);
  EXPECT_NEAR(a["measured"].get<double>(), 99.895833, 1e-6);
  EXPECT_EQ(a["promise_kept"], false);
  EXPECT_EQ(p["cloud_check"]["flagged"], true);
  EXPECT_EQ(p["cloud_check"]["characteristics"]["rapid_elasticity"]["evidence"], "observed");
  EXPECT_EQ(p["cloud_check"]["characteristics"]["rapid_elasticity"]["contradicted"], true);
  EXPECT_EQ(p["cloud_check"]["characteristics"]["multi_tenancy"]["evidence"], "unknown");
  // Every registered policy ranks; ahp says why it cannot without pairwise comparisons.
  std::map<std::string, json> policies;
  for (const auto& pr : j["policies"]) policies[pr["policy"]] = pr;
  EXPECT_EQ(policies["weighted_sum"]["ranking"][0]["provider"], "p1");
  EXPECT_EQ(policies["topsis"]["ranking"][0]["provider"], "p1");
  EXPECT_NE(policies["ahp"]["error"].get<std::string>().find("pairwise"), std::string::npos);
  EXPECT_EQ(j["sensitivity"]["winner_changes"], false);
  EXPECT_EQ(j["sensitivity"]["cases"].size(), 4u);  // availability and cost, each -20 % and +20 %

  // Formats: by the body's format, else by Accept.
  request["format"] = "md";
  auto md = Call("POST", {"v1", "compare"}, request.dump());
  EXPECT_EQ(md.content_type, "text/markdown; charset=utf-8");
  EXPECT_NE(md.body.find("| p1 | 2026-11 | v1 | 99.8958 % | 100.00 % | 10 % = 100.00 KRW |"), std::string::npos) << md.body;
  request["format"] = "csv";
  auto csv = Call("POST", {"v1", "compare"}, request.dump());
  EXPECT_EQ(csv.body.rfind("provider,name,sla_version,excluded,", 0), 0u);
  EXPECT_NE(csv.body.find("\r\np1,Provider p1,v2,"), std::string::npos);
  request.erase("format");
  HttpRequest html_request;
  html_request.method = "POST";
  html_request.path = {"v1", "compare"};
  html_request.body = request.dump();
  html_request.headers["content-type"] = "application/json";
  html_request.headers["accept"] = "text/html,application/xhtml+xml";
  auto html = api_.Handle(html_request);
  html_request.query["format"] = "csv";  // the query outranks Accept
  EXPECT_EQ(api_.Handle(html_request).content_type, "text/csv; charset=utf-8");
  html_request.query["format"] = "pdf";
  EXPECT_EQ(api_.Handle(html_request).status, 400);
  html_request.query.clear();
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  // Offline: nothing fetched (the only URL is the SVG namespace name).
  EXPECT_EQ(html.body.find("src="), std::string::npos);
  EXPECT_EQ(html.body.find("<link"), std::string::npos);
  EXPECT_EQ(html.body.find("<script"), std::string::npos);
}

TEST_F(QosApiTest, CompareErrorsPointAtTheField) {
  auto problem = [&](const json& body) {
    auto r = Call("POST", {"v1", "compare"}, body.dump());
    auto j = json::parse(r.body);
    return std::pair{r.status, j["errors"].empty() ? std::string() : j["errors"][0]["pointer"].get<std::string>()};
  };
  EXPECT_EQ(problem({{"profile", json::object()}, {"providers", {"p1", "nope"}}}), std::pair(404, std::string("/providers/1")));
  EXPECT_EQ(problem({{"profile_id", "nope"}}), std::pair(404, std::string("/profile_id")));
  EXPECT_EQ(problem({{"profile", json::object()}, {"format", "pdf"}}), std::pair(400, std::string("/format")));
  json inconsistent = {{"policy", "ahp"},
                       {"pairwise", {{"criteria", {"availability", "reliability", "scalability"}}, {"matrix", {{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}}}}}};
  auto r = Call("POST", {"v1", "compare"}, json({{"profile", inconsistent}}).dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("consistency ratio 6.130 exceeds 0.1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("/profile/pairwise/matrix"), std::string::npos) << r.body;
  EXPECT_EQ(Call("POST", {"v1", "compare"}, "{not json").status, 400);
  EXPECT_EQ(Call("GET", {"v1", "compare"}).status, 405);
}

}  // namespace
}  // namespace icb
