#include <gtest/gtest.h>

#include <zlib.h>

#include <fstream>
#include <functional>

#include "broker/api/api.h"
#include "broker/api/gzip.h"
#include "broker/catalog/loader.h"
#include "broker/core/time.h"
#include "tests/support/api_harness.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test, protected testing::ApiHarness {
 protected:
  ApiTest() : ApiHarness("2026-11-23T00:00:00Z") {}

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& content_type = "application/json") {
    HttpRequest r;
    r.method = method;
    EXPECT_TRUE(ParseRequestTarget(path, r).ok()) << path;
    if (!body.empty() || method == "PUT" || method == "POST") r.headers["content-type"] = content_type;
    r.body = body;
    return api_.Handle(r);
  }

  // Status and first error pointer of a problem answer.
  static std::pair<int, std::string> Problem(const HttpResponse& r) {
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["status"], r.status);
    EXPECT_TRUE(j.contains("type") && j.contains("title") && j.contains("detail") && j.contains("errors"));
    return {r.status, j["errors"].empty() ? std::string("<none>") : j["errors"][0]["pointer"].get<std::string>()};
  }

};

TEST_F(ApiTest, HealthReportsTheStore) {
  auto r = Call("GET", "/v1/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["store"], "ok");
}

TEST_F(ApiTest, EveryAnswerCarriesItsRequestIdAndAProblemNamesIt) {
  auto header = [](const HttpResponse& r) {
    for (const auto& [name, value] : r.headers)
      if (name == "X-Request-Id") return value;
    return std::string();
  };
  auto ok = Call("GET", "/v1/health");
  const std::string fresh = header(ok);
  EXPECT_EQ(fresh.size(), 16u);
  EXPECT_EQ(fresh.find_first_not_of("0123456789abcdef"), std::string::npos) << fresh;
  EXPECT_NE(header(Call("GET", "/v1/health")), fresh);  // each request its own
  // A client's (or a proxy's) usable id is kept; one that is not is replaced.
  auto call_with = [&](const std::string& sent, const std::string& path) {
    HttpRequest r;
    r.method = "GET";
    EXPECT_TRUE(ParseRequestTarget(path, r).ok());
    r.headers["x-request-id"] = sent;
    return api_.Handle(r);
  };
  EXPECT_EQ(header(call_with("trace-7f3a:01.b_c", "/v1/health")), "trace-7f3a:01.b_c");
  for (const std::string& bad : {std::string("has space"), std::string(129, 'a'), std::string("quote\""), std::string("")})
    EXPECT_EQ(header(call_with(bad, "/v1/health")).size(), 16u) << bad;
  auto missing = call_with("my-trace-1", "/v1/providers/nobody");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(header(missing), "my-trace-1");
  EXPECT_EQ(json::parse(missing.body)["request_id"], "my-trace-1");
  auto unrouted = Call("GET", "/no/such/thing");
  EXPECT_EQ(json::parse(unrouted.body)["request_id"], header(unrouted));
}

TEST_F(ApiTest, TheRootNamesTheBrokerAndLinksItsOpenApiDescription) {
  for (const char* path : {"/", "/v1"}) {
    auto r = Call("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["name"], "icbroker");
    EXPECT_EQ(j["version"], ICB_VERSION);
    EXPECT_EQ(j["openapi"], "/v1/openapi.json");
  }
  auto r = Call("GET", "/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  auto described = json::parse(r.body);
  // The very file in the tree, every path in it.
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/openapi/openapi.json");
  EXPECT_EQ(described, json::parse(in));
  EXPECT_TRUE(described["paths"].contains("/v1/openapi.json"));
  EXPECT_EQ(Call("POST", "/v1/openapi.json", "{}").status, 405);
}

TEST_F(ApiTest, ProviderLifecycle) {
  auto put = Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump());
  EXPECT_EQ(put.status, 201);
  EXPECT_EQ(Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump()).status, 200);
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers/p1").body)["id"], "p1");
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers").body)["providers"].size(), 1u);
}

// Every page of a list, following `next` from the first: the ids in order.
std::vector<std::string> PageThrough(const std::function<HttpResponse(const std::string&)>& get, const std::string& collection, size_t limit) {
  std::vector<std::string> ids;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    auto r = get("/v1/" + collection + "?limit=" + std::to_string(limit) + (after.empty() ? "" : "&after=" + after));
    EXPECT_EQ(r.status, 200) << r.body;
    const json page = json::parse(r.body);
    EXPECT_LE(page[collection].size(), limit);
    for (const auto& doc : page[collection]) ids.push_back(doc["id"]);
    if (page["next"].is_null()) return ids;
    after = page["next"];
  }
  ADD_FAILURE() << "no last page";
  return ids;
}

TEST_F(ApiTest, ListsPageByCursorInIdOrder) {
  for (const char* id : {"p5", "p1", "p7", "p3", "p2", "p6", "p4"}) ASSERT_EQ(Call("PUT", std::string("/v1/providers/") + id, testing::ProviderDoc(id).dump()).status, 201);
  const auto get = [this](const std::string& target) { return Call("GET", target); };
  EXPECT_EQ(PageThrough(get, "providers", 3), (std::vector<std::string>{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}));
  EXPECT_EQ(PageThrough(get, "providers", 7), (std::vector<std::string>{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}));
  const json first = json::parse(Call("GET", "/v1/providers?limit=3").body);
  EXPECT_EQ(first["next"], "p3");
  // Without a limit, the first thousand; the last page says so with null.
  const json all = json::parse(Call("GET", "/v1/providers").body);
  EXPECT_EQ(all["providers"].size(), 7u);
  EXPECT_TRUE(all["next"].is_null());
  // A write between two pages neither repeats nor skips what was there all along.
  ASSERT_EQ(Call("PUT", "/v1/providers/p2b", testing::ProviderDoc("p2b").dump()).status, 201);
  ASSERT_TRUE(catalog_.Delete(Collection::kProviders, "p5").ok());  // no route deletes a provider; the catalog can
  std::vector<std::string> rest;
  const json after_p3 = json::parse(Call("GET", "/v1/providers?limit=100&after=p3").body);
  for (const auto& doc : after_p3["providers"]) rest.push_back(doc["id"]);
  EXPECT_EQ(rest, (std::vector<std::string>{"p4", "p6", "p7"}));
  // A cursor need not name a provider that exists: it is a place in id order.
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers?after=p2a").body)["providers"][0]["id"], "p2b");
  EXPECT_TRUE(json::parse(Call("GET", "/v1/providers?after=zz").body)["providers"].empty());
  // Profiles page the same way.
  for (const char* id : {"b", "a", "c"}) ASSERT_EQ(Call("PUT", std::string("/v1/profiles/") + id, R"({"weights":{"availability":1}})").status, 201);
  EXPECT_EQ(PageThrough(get, "profiles", 1), (std::vector<std::string>{"a", "b", "c"}));
  // Refused, naming the bound, and nothing listed.
  for (const char* bad : {"/v1/providers?limit=0", "/v1/providers?limit=1001", "/v1/providers?limit=x", "/v1/providers?limit=99999999999",
                          "/v1/providers?after=", "/v1/providers?after=a%20b", "/v1/profiles?after=%C3%A9"}) {
    auto r = Call("GET", bad);
    EXPECT_EQ(Problem(r).first, 400) << bad;
    EXPECT_NE(r.body.find(std::string(bad).find("limit") != std::string::npos ? "1 to 1000" : "1 to 128"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Call("GET", "/v1/providers?after=" + std::string(129, 'a')).status, 400);
  EXPECT_EQ(Call("GET", "/v1/providers?after=" + std::string(128, 'a')).status, 200);
}

TEST_F(ApiTest, BadInputGetsItsStatusAndChangesNothing) {
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/p1", "{\"id\":", "application/json")), std::make_pair(400, std::string("/id")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump(), "text/plain")).first, 415);
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump(), "")).first, 415);
  json bad = testing::ProviderDoc("p1");
  bad["regions"][0]["country"] = "kr";
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/p1", bad.dump())), std::make_pair(400, std::string("/regions/0/country")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/p2", testing::ProviderDoc("p1").dump())), std::make_pair(400, std::string("/id")));
  EXPECT_EQ(Problem(Call("GET", "/v1/providers/p1")).first, 404);
  EXPECT_EQ(Problem(Call("PUT", "/v1/providers/Bad%20Id", testing::ProviderDoc("p1").dump())).first, 404);
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers").body)["providers"].size(), 0u);
  EXPECT_EQ(*store_->GetCounter(kCatalogVersionKey), 0);
}

TEST_F(ApiTest, SlaRoutes) {
  ASSERT_EQ(Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump()).status, 201);
  auto sla = testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}});
  auto created = Call("POST", "/v1/providers/p1/slas", sla.dump());
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.headers.at(0), std::make_pair(std::string("Location"), std::string("/v1/providers/p1/slas/v1")));
  EXPECT_EQ(Problem(Call("POST", "/v1/providers/p1/slas", sla.dump())).first, 409);
  EXPECT_EQ(Problem(Call("POST", "/v1/providers/ghost/slas", sla.dump())).first, 404);
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers/p1/slas?at=2026-06-01T00:00:00Z").body)["version"], "v1");
  EXPECT_EQ(Problem(Call("GET", "/v1/providers/p1/slas?at=2025-06-01T00:00:00Z")).first, 404);
  EXPECT_EQ(Problem(Call("GET", "/v1/providers/p1/slas?at=yesterday")).first, 400);
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers/p1/slas").body)["slas"].size(), 1u);
  EXPECT_EQ(json::parse(Call("GET", "/v1/providers/p1/slas/v1").body)["version"], "v1");
}

TEST_F(ApiTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(Problem(Call("GET", "/v2/anything")).first, 404);
  auto r = Call("DELETE", "/v1/providers/p1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at(0).first, "Allow");
  EXPECT_EQ(Call("GET", "/v1/rank").status, 405);
}

TEST_F(ApiTest, RankTheDemoCatalogByProfileId) {
  ASSERT_TRUE(LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting).ok());
  auto r = Call("POST", "/v1/rank", R"({"profile_id":"kr-saas-critical"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["policy"], "weighted_sum");
  EXPECT_EQ(j["profile"], "kr-saas-critical");
  ASSERT_FALSE(j["ranking"].empty());
  // Every ranked provider is a Korean SaaS with a NIPA certificate in force; the
  // rest are excluded with reasons.
  EXPECT_EQ(j["ranking"].size() + j["excluded"].size(), 9u);
  for (const auto& p : j["ranking"]) {
    EXPECT_TRUE(p["provider"] == "mugunghwa-crm" || p["provider"] == "sakura-groupware") << p["provider"];
    EXPECT_TRUE(p["criteria"].contains("reliability"));
    EXPECT_FALSE(p["explanation"].get<std::string>().empty());
  }
  for (const auto& e : j["excluded"]) EXPECT_FALSE(e["reasons"].empty());
}

// Identical ranks within the reuse time are answered from the first (its
// `at` says when it was computed); any catalog write, or time, ends that.
TEST_F(ApiTest, AnIdenticalRankIsReusedUntilTheCatalogChangesOrItsTimeIsUp) {
  ASSERT_TRUE(LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting).ok());
  const std::string body = R"({"profile_id":"kr-saas-critical","top_k":3})";
  auto first = Call("POST", "/v1/rank", body);
  ASSERT_EQ(first.status, 200) << first.body;
  clock_.Advance(std::chrono::milliseconds(500));
  auto second = Call("POST", "/v1/rank", body);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(json::parse(second.body)["at"], "2026-11-23T00:00:00Z");
  // A provider's certificate withdrawn: the next rank sees it at once.
  auto doc = json::parse(Call("GET", "/v1/providers/sakura-groupware").body);
  doc["certifications"] = json::array();
  ASSERT_EQ(Call("PUT", "/v1/providers/sakura-groupware", doc.dump()).status, 200);
  auto after_write = json::parse(Call("POST", "/v1/rank", body).body);
  for (const auto& p : after_write["ranking"]) EXPECT_NE(p["provider"], "sakura-groupware");
  EXPECT_NE(after_write["catalog_version"], json::parse(first.body)["catalog_version"]);
  // And time: a second after, computed again.
  clock_.Advance(std::chrono::milliseconds(1000));
  auto later = json::parse(Call("POST", "/v1/rank", body).body);
  EXPECT_NE(later["at"], after_write["at"]);
  // Errors are never kept: the same bad request gets its problem each time.
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Call("POST", "/v1/rank", R"({"profile_id":"nobody"})").status, 404);
}

TEST_F(ApiTest, RankErrorsPointAtTheField) {
  EXPECT_EQ(Problem(Call("POST", "/v1/rank", R"({"profile_id":"nobody"})")).first, 404);
  EXPECT_EQ(Problem(Call("POST", "/v1/rank", R"({"profile":{},"policy":"magic"})")), std::make_pair(400, std::string("/policy")));
  auto unknown = Call("POST", "/v1/rank", R"({"profile":{"policy":"magic"}})");
  EXPECT_EQ(Problem(unknown), std::make_pair(400, std::string("/profile/policy")));
  EXPECT_NE(unknown.body.find("known policies: ahp, topsis, weighted_sum"), std::string::npos);
  EXPECT_EQ(Problem(Call("POST", "/v1/rank", R"({"profile":{"weights":{"price":1}}})")).second, "/profile/weights");
  EXPECT_EQ(Problem(Call("POST", "/v1/rank", R"({"profile":{"constraints":{"targets":{"mttr_minutes":{"min":5,"max":1}}}}})")).second,
            "/profile/constraints/targets/mttr_minutes");
}

TEST_F(ApiTest, AllThreePoliciesRankTheDemoCatalog) {
  ASSERT_TRUE(LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting).ok());
  for (const char* policy : {"weighted_sum", "topsis"}) {
    auto r = Call("POST", "/v1/rank", std::string(R"({"profile_id":"iaas-burst","policy":")") + policy + "\"}");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["policy"], policy);
    EXPECT_EQ(j["policy_version"], 2);
    EXPECT_GE(j["ranking"].size(), 3u);
    EXPECT_TRUE(j["ranking"][0]["criteria"]["scalability"].contains("contribution"));
  }
  // AHP: availability 3x as important as scalability, scalability 2x reliability (consistent enough).
  std::string ahp = R"({"profile":{"policy":"ahp","pairwise":{"criteria":["availability","scalability","reliability"],
                        "matrix":[[1,3,6],[0.3333333,1,2],[0.1666667,0.5,1]]}}})";
  auto r = Call("POST", "/v1/rank", ahp);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  // The matrix is consistent with weights (6, 2, 1) / 9.
  EXPECT_NEAR(j["weights"]["availability"].get<double>(), 6.0 / 9, 1e-5);
  EXPECT_NEAR(j["weights"]["scalability"].get<double>(), 2.0 / 9, 1e-5);
  EXPECT_LT(j["consistency_ratio"].get<double>(), 0.1);
  EXPECT_EQ(j["weights"]["responsiveness"], 0);
  // A cyclic matrix is refused, naming its consistency ratio.
  auto bad = Call("POST", "/v1/rank", R"({"profile":{"policy":"ahp","pairwise":{"criteria":["availability","scalability","reliability"],
                        "matrix":[[1,9,0.1111111],[0.1111111,1,9],[9,0.1111111,1]]}}})");
  EXPECT_EQ(Problem(bad), std::make_pair(400, std::string("/profile/pairwise/matrix")));
  EXPECT_NE(bad.body.find("consistency ratio"), std::string::npos);
  // A non-reciprocal matrix is refused at the entry.
  auto skew = Call("POST", "/v1/rank", R"({"profile":{"policy":"ahp","pairwise":{"criteria":["availability","reliability"],"matrix":[[1,3],[3,1]]}}})");
  EXPECT_EQ(Problem(skew).second, "/profile/pairwise/matrix/0/1");
}

TEST_F(ApiTest, ProfilesRoundTrip) {
  EXPECT_EQ(Call("PUT", "/v1/profiles/mine", R"({"weights":{"availability":1}})").status, 201);
  EXPECT_EQ(json::parse(Call("GET", "/v1/profiles/mine").body)["id"], "mine");
  EXPECT_EQ(Problem(Call("PUT", "/v1/profiles/mine", R"({"weights":{"availability":-1}})")).second, "/weights/availability");
  EXPECT_EQ(json::parse(Call("GET", "/v1/profiles/mine").body)["weights"]["availability"], 1);
  EXPECT_EQ(json::parse(Call("GET", "/v1/profiles").body)["profiles"].size(), 1u);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// The OpenAPI description and the router agree: every documented path and
// method is routed (anything but "no route" 404 and 405).
TEST_F(ApiTest, EveryOpenApiOperationIsRouted) {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/openapi/openapi.json");
  auto doc = json::parse(in);
  int operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    std::string concrete = path;
    for (const char* param : {"{id}", "{version}"}) {
      auto at = concrete.find(param);
      if (at != std::string::npos) concrete.replace(at, std::string(param).size(), "x");
    }
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      auto r = Call(upper, concrete + (path.ends_with("metrics") || path.ends_with("sla-report") ? "?month=2026-11" : ""),
                    upper == "GET" ? "" : "{}");
      EXPECT_NE(r.status, 405) << upper << " " << path;
      EXPECT_EQ(r.body.find("no route"), std::string::npos) << upper << " " << path;
      ++operations;
    }
  }
  EXPECT_EQ(operations, 50);
  // And the other way: every route in the table is documented, with the
  // access it is routed with, its security and the refusals that go with it.
  for (const Route& route : api_.router().routes()) {
    std::string path = "/" + route.pattern, method = route.method;
    for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ASSERT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << route.method << " " << path << " is not in the OpenAPI";
    const json& op = doc["paths"][path][method];
    EXPECT_EQ(op.value("x-icbroker-access", ""), AccessName(route.access)) << route.method << " " << path;
    const json& responses = op["responses"];
    if (route.access == Access::kPublic) {
      EXPECT_EQ(op["security"], json::array()) << route.method << " " << path;
      EXPECT_FALSE(responses.contains("401")) << route.method << " " << path;
      EXPECT_FALSE(responses.contains("429")) << route.method << " " << path;
    } else {
      EXPECT_EQ(op["security"], json::parse(R"([{"apiKey": []}])")) << route.method << " " << path;
      EXPECT_TRUE(responses.contains("401")) << route.method << " " << path;
      EXPECT_TRUE(responses.contains("429")) << route.method << " " << path;  // a key over its rate
      // A read is open to every role: only what needs more can be refused.
      EXPECT_EQ(responses.contains("403"), route.access != Access::kRead) << route.method << " " << path;
    }
  }
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

TEST(Gzip, AcceptEncodingParsing) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("br, *"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST(Gzip, RoundTripsThroughZlib) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"provider\":\"p" + std::to_string(i) + "\",\"score\":0.5},";
  auto packed = Gzip(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), text.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(text.size() + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(packed->data());
  z.avail_in = static_cast<uInt>(packed->size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace icb
