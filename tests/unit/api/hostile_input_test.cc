// What an attacker or a careless client sends: every request here is refused
// with a 4xx problem that names the pointer and the limit, leaves the store
// as it was, and never crashes or answers 500.
#include <gtest/gtest.h>

#include <random>

#include "tests/support/api_harness.h"
#include "broker/api/api.h"
#include "broker/core/utf8.h"
#include "broker/schema/json_input.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;

class HostileInput : public ::testing::Test, protected testing::ApiHarness {
 protected:
  HostileInput() : ApiHarness("2026-11-23T00:00:00Z") {}

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    Status t = ParseRequestTarget(target, r);
    if (!t.ok()) return ProblemResponse(t);
    if (method == "PUT" || method == "POST") r.headers["content-type"] = "application/json";
    r.body = body;
    return api_.Handle(r);
  }

  // A problem answer: valid UTF-8 JSON whose detail count matches its errors.
  static json Problem(const HttpResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_TRUE(IsValidUtf8(r.body));
    json p = json::parse(r.body);
    EXPECT_EQ(p["status"], status);
    const std::string detail = p["detail"];
    if (!p["errors"].empty() && std::isdigit(static_cast<unsigned char>(detail[0]))) {
      auto listed = detail.find("(the first ");
      size_t count = listed == std::string::npos ? std::stoul(detail) : std::stoul(detail.substr(listed + 11));
      EXPECT_EQ(count, p["errors"].size()) << detail;
    }
    return p;
  }

  static std::string FirstMessage(const json& p) { return p["errors"].empty() ? "" : p["errors"][0]["message"].get<std::string>(); }
  static std::string FirstPointer(const json& p) { return p["errors"].empty() ? "" : p["errors"][0]["pointer"].get<std::string>(); }

  long long CatalogVersion() { return store_->GetCounter(kCatalogVersionKey).value(); }

  void AddProvider() { ASSERT_EQ(Call("PUT", "/v1/providers/p1", testing::ProviderDoc("p1").dump()).status, 201); }
};

TEST_F(HostileInput, DeepNestingIsRefusedAtTheLimit) {
  for (size_t depth : {33, 200000, 400000}) {
    std::string body = std::string(depth, '[') + std::string(depth, ']');
    auto p = Problem(Call("PUT", "/v1/providers/x", body), 400);
    EXPECT_NE(FirstMessage(p).find("nesting deeper than 32 levels"), std::string::npos) << FirstMessage(p);
    EXPECT_EQ(FirstPointer(p), "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0");
  }
  // Nesting inside objects names the members on the way down.
  std::string objects;
  for (int i = 0; i < 40; ++i) objects += "{\"a\":";
  objects += "1" + std::string(40, '}');
  EXPECT_EQ(FirstPointer(Problem(Call("POST", "/v1/rank", objects), 400)).substr(0, 6), "/a/a/a");
  // A sample batch has the same door.
  auto batch = Problem(Call("POST", "/v1/qos/samples", "{\"samples\":" + std::string(100000, '[')), 400);
  EXPECT_NE(FirstMessage(batch).find("nesting deeper"), std::string::npos);
  EXPECT_EQ(CatalogVersion(), 0);
}

TEST_F(HostileInput, LongStringsUnderPatternsAndFormatsAreRefusedByLength) {
  AddProvider();
  long long before = CatalogVersion();
  json event = {{"kind", "incident"}, {"start", "2030-01-01T00:00:00." + std::string(30000, '0') + "Z"}, {"summary", "x"}};
  auto p = Problem(Call("POST", "/v1/providers/p1/events", event.dump()), 400);
  EXPECT_EQ(FirstPointer(p), "/start");
  EXPECT_NE(FirstMessage(p).find("at most 40 characters"), std::string::npos) << FirstMessage(p);
  // A pattern without a length bound runs in linear time (RE2) on a long string.
  json provider = testing::ProviderDoc("p1");
  provider["regions"][0]["country"] = std::string(60000, 'K');
  p = Problem(Call("PUT", "/v1/providers/p1", provider.dump()), 400);
  EXPECT_EQ(FirstPointer(p), "/regions/0/country");
  // Past the door's string limit nothing is parsed further.
  provider["regions"][0]["country"] = std::string(70000, 'K');
  p = Problem(Call("PUT", "/v1/providers/p1", provider.dump()), 400);
  EXPECT_NE(FirstMessage(p).find("exceeds the limit of 65536 bytes"), std::string::npos) << FirstMessage(p);
  EXPECT_EQ(CatalogVersion(), before);
}

TEST_F(HostileInput, InvalidUtf8AndHugeNumbersAre400NotInternalErrors) {
  json provider = testing::ProviderDoc("p1");
  std::string text = provider.dump();
  std::string bad_utf8 = text;
  bad_utf8.replace(bad_utf8.find("\"name\":\"") + 8, 1, "\xC3\x28");  // a lead byte without its continuation
  auto p = Problem(Call("PUT", "/v1/providers/p1", bad_utf8), 400);
  EXPECT_EQ(FirstPointer(p), "/name");
  EXPECT_NE(FirstMessage(p).find("UTF-8"), std::string::npos) << FirstMessage(p);
  // Invalid UTF-8 in a member name too.
  Problem(Call("PUT", "/v1/providers/p1", "{\"\xFF\xFE\":1}"), 400);
  p = Problem(Call("POST", "/v1/rank", R"({"profile_id":"x","top_k":1e400})"), 400);
  EXPECT_EQ(FirstPointer(p), "/top_k");
  EXPECT_NE(FirstMessage(p).find("number out of range"), std::string::npos);
  Problem(Call("POST", "/v1/qos/samples", R"({"samples":[{"latency_ms":-1e999}]})"), 400);
  EXPECT_EQ(CatalogVersion(), 0);
}

TEST_F(HostileInput, BadPercentEscapesInTheTargetAre400) {
  for (const char* target : {"/v1/health?a=%zz", "/v1/providers/%", "/v1/providers/%4", "/v1/providers/%C3%28", "/v1/providers?x=%FF"}) {
    auto p = Problem(Call("GET", target), 400);
    EXPECT_FALSE(FirstMessage(p).empty()) << target;
  }
  HttpRequest r;
  ASSERT_TRUE(ParseRequestTarget("/v1/providers/a%20b?at=2026-01-01T00%3A00%3A00Z&x=1+2&x=3", r).ok());
  EXPECT_EQ(r.path, (std::vector<std::string>{"v1", "providers", "a b"}));
  EXPECT_EQ(r.query.at("at"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(r.query.at("x"), "3");
}

TEST_F(HostileInput, OversizedArraysKeysAndObjectsNameTheLimit) {
  std::string items = "{\"providers\":[" ;
  for (int i = 0; i < 10001; ++i) items += (i ? ",\"a\"" : "\"a\"");
  items += "],\"profile_id\":\"x\"}";
  auto p = Problem(Call("POST", "/v1/compare", items), 400);
  EXPECT_EQ(FirstPointer(p), "/providers/10000");
  EXPECT_NE(FirstMessage(p).find("more than 10000 items"), std::string::npos);
  p = Problem(Call("POST", "/v1/rank", "{\"" + std::string(300, 'k') + "\":1}"), 400);
  EXPECT_NE(FirstMessage(p).find("member name of 300 bytes"), std::string::npos);
  std::string members = "{";
  for (int i = 0; i < 1001; ++i) members += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":1");
  p = Problem(Call("POST", "/v1/rank", members + "}"), 400);
  EXPECT_NE(FirstMessage(p).find("more than 1000 members"), std::string::npos);
}

TEST_F(HostileInput, CostInputsThatWouldOverflowAreRefusedBySchemaMaxima) {
  json request = {{"profile", {{"cost", {{"currency", "KRW"}, {"usage", {{"vcpu_hour", 1e308}}}}}}}};
  auto p = Problem(Call("POST", "/v1/rank", request.dump()), 400);
  EXPECT_EQ(FirstPointer(p), "/profile/cost/usage/vcpu_hour");
  EXPECT_NE(FirstMessage(p).find("must be at most 1000000000"), std::string::npos) << FirstMessage(p);
}

TEST_F(HostileInput, MessagesSayWhatWasExpectedInTheFieldsTerms) {
  json provider = testing::ProviderDoc("p1");
  provider["regions"][0]["country"] = "Korea";
  auto p = Problem(Call("PUT", "/v1/providers/p1", provider.dump()), 400);
  EXPECT_NE(FirstMessage(p).find("ISO 3166-1 alpha-2 country code"), std::string::npos) << FirstMessage(p);
  EXPECT_NE(FirstMessage(p).find("(got \"Korea\")"), std::string::npos) << FirstMessage(p);
  EXPECT_EQ(FirstMessage(p).find("regex"), std::string::npos);
  provider = testing::ProviderDoc("p1");
  provider["service_model"] = "XaaS";
  p = Problem(Call("PUT", "/v1/providers/p1", provider.dump()), 400);
  EXPECT_NE(FirstMessage(p).find("must be one of IaaS, PaaS, SaaS"), std::string::npos) << FirstMessage(p);
  // Policies: the registered names, inline, by override, and in a stored profile.
  for (const char* policy : {"nope", "Not-A-Name"}) {
    p = Problem(Call("POST", "/v1/rank", json{{"profile", {{"policy", policy}}}}.dump()), 400);
    EXPECT_EQ(FirstPointer(p), "/profile/policy");
    EXPECT_NE(FirstMessage(p).find("known policies: ahp, topsis, weighted_sum"), std::string::npos) << FirstMessage(p);
  }
  p = Problem(Call("PUT", "/v1/profiles/x", json{{"id", "x"}, {"policy", "nope"}}.dump()), 400);
  EXPECT_NE(FirstMessage(p).find("known policies"), std::string::npos) << FirstMessage(p);
  // The one-of rule speaks in its own description.
  p = Problem(Call("POST", "/v1/rank", json{{"profile", json::object()}, {"profile_id", "x"}}.dump()), 400);
  EXPECT_EQ(FirstMessage(p), "Exactly one of profile and profile_id");
}

TEST_F(HostileInput, LeapSecondsAreRefusedEverywhereWithTheReason) {
  AddProvider();
  json event = {{"kind", "incident"}, {"start", "2026-06-30T23:59:60Z"}, {"summary", "x"}};
  auto p = Problem(Call("POST", "/v1/providers/p1/events", event.dump()), 400);
  EXPECT_NE(FirstMessage(p).find("leap second"), std::string::npos) << FirstMessage(p);
  json sample = {{"provider", "p1"}, {"endpoint", "e"}, {"vantage", "v"}, {"ts", "2026-06-30T23:59:60Z"}, {"interval_s", 10}, {"ok", true}};
  p = Problem(Call("POST", "/v1/qos/samples", json{{"samples", {sample}}}.dump()), 400);
  EXPECT_EQ(FirstPointer(p), "/samples/0/ts");
  p = Problem(Call("GET", "/v1/providers/p1/slas?at=2026-06-30T23:59:60Z"), 400);
  EXPECT_NE(FirstMessage(p).find("leap second"), std::string::npos) << FirstMessage(p);
}

TEST_F(HostileInput, CountsInDetailMatchTheErrors) {
  AddProvider();
  std::vector<json> samples;
  for (int i = 0; i < 250; ++i) {
    samples.push_back({{"provider", "ghost"}, {"endpoint", "e"}, {"vantage", "v"}, {"ts", "2026-11-01T00:00:00Z"}, {"interval_s", 10}, {"ok", true}});
  }
  auto p = Problem(Call("POST", "/v1/qos/samples", json{{"samples", samples}}.dump()), 404);
  EXPECT_EQ(p["detail"], "250 samples name unknown providers (the first 100 listed)");
  EXPECT_EQ(p["errors"].size(), 100u);
  samples.resize(1);
  p = Problem(Call("POST", "/v1/qos/samples", json{{"samples", samples}}.dump()), 404);
  EXPECT_EQ(p["detail"], "1 sample names an unknown provider");
}

// Mutations of valid documents (bytes flipped, cut, repeated) never reach a
// 500 and never crash: a deterministic cousin of the fuzz targets.
TEST_F(HostileInput, MutatedDocumentsNeverAnswer500) {
  AddProvider();
  std::mt19937 rng(11);
  std::vector<std::pair<std::string, std::string>> seeds = {
      {"/v1/providers/p1", testing::ProviderDoc("p1").dump()},
      {"/v1/rank", R"({"profile":{"constraints":{"countries":["KR"],"targets":{"availability_percent":{"min":99.9}}},"weights":{"cost":1},"cost":{"currency":"KRW","usage":{"vcpu_hour":100}}},"top_k":3})"},
      {"/v1/providers/p1/events", R"({"kind":"incident","start":"2026-11-01T00:00:00Z","summary":"x"})"},
      {"/v1/compare", R"({"profile_id":"x","format":"md"})"},
  };
  const std::string alphabet = "{}[]\",:0123456789.eE+-tfn\\u\xC3\xFF\x80 ";
  for (int round = 0; round < 3000; ++round) {
    auto [target, body] = seeds[round % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0: body[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.erase(at, 1 + rng() % 8); break;
        case 2: body.insert(at, body.substr(at, 1 + rng() % 16)); break;
        case 3: body.resize(at); break;
      }
    }
    auto r = Call(target.find("providers/p1") != std::string::npos && target.find("events") == std::string::npos ? "PUT" : "POST", target, body);
    ASSERT_LT(r.status, 500) << target << " " << body << "\n" << r.body;
    ASSERT_TRUE(IsValidUtf8(r.body));
  }
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// A rank answer grows with top_k and excluded_limit, not with the catalog.
TEST_F(HostileInput, RankAnswersCountExclusionsAndListOnlyTheFirstFew) {
  for (int i = 0; i < 40; ++i) {
    std::string id = "p" + std::to_string(100 + i);
    ASSERT_EQ(Call("PUT", "/v1/providers/" + id, testing::ProviderDoc(id).dump()).status, 201);
    double availability = i < 30 ? 99.5 : 99.99;  // 30 fail the bound below
    ASSERT_EQ(Call("POST", "/v1/providers/" + id + "/slas",
                   testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", availability}}).dump()).status, 201);
  }
  json profile = {{"constraints", {{"targets", {{"availability_percent", {{"min", 99.9}}}, {"response_ms_p95", {{"max", 300}}}}}}}};
  auto rank = [&](json extra) {
    json request = {{"profile", profile}, {"top_k", 3}};
    request.update(extra);
    auto r = Call("POST", "/v1/rank", request.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  json j = rank(json::object());
  EXPECT_EQ(j["excluded_count"], 40);  // none publishes response_ms_p95
  EXPECT_EQ(j["excluded"].size(), 10u);
  EXPECT_EQ(j["excluded"][0]["provider"], "p100");
  ASSERT_EQ(j["exclusions"].size(), 2u);
  EXPECT_EQ(j["exclusions"][0], (json{{"constraint", "/constraints/targets/response_ms_p95"}, {"providers", 40}}));
  EXPECT_EQ(j["exclusions"][1], (json{{"constraint", "/constraints/targets/availability_percent"}, {"providers", 30}}));
  EXPECT_EQ(rank({{"excluded_limit", "all"}})["excluded"].size(), 40u);
  EXPECT_EQ(rank({{"excluded_limit", 0}})["excluded"].size(), 0u);
  EXPECT_EQ(rank({{"excluded_limit", 25}})["excluded"].size(), 25u);
  auto bad = Problem(Call("POST", "/v1/rank", json{{"profile", profile}, {"excluded_limit", "some"}}.dump()), 400);
  EXPECT_EQ(FirstPointer(bad), "/excluded_limit");
  // Equal size whether 40 or 4 providers are excluded beyond the listed ten.
  profile["constraints"]["targets"].erase("response_ms_p95");
  j = rank(json::object());
  EXPECT_EQ(j["excluded_count"], 30);
  EXPECT_EQ(j["ranking"].size(), 3u);
  for (const auto& p : j["ranking"]) EXPECT_TRUE(p["score"].is_number());
}

}  // namespace
}  // namespace icb
