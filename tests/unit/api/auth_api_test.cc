// Keys on the HTTP API: who may call what, the answers to everyone else,
// and the key routes themselves.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/api/api.h"
#include "broker/catalog/loader.h"
#include "tests/support/api_harness.h"

namespace icb {
namespace {

using nlohmann::json;

class AuthApiTest : public ::testing::Test, protected testing::ApiHarness {
 protected:
  AuthApiTest() : ApiHarness("2026-12-05T00:00:00Z"), keys_(*store_, clock_) {
    api_.RequireKeys();
    EXPECT_TRUE(LoadCatalogFiles(catalog_, DemoCatalogFiles(), LoadMode::kKeepExisting).ok());
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    EXPECT_TRUE(ParseRequestTarget(path, r).ok()) << path;
    if (!body.empty()) r.headers["content-type"] = "application/json";
    if (!key.empty()) r.headers["authorization"] = "Bearer " + key;
    r.body = body;
    return api_.Handle(r);
  }
  std::string Key(const std::string& tenant, Role role) {
    auto made = keys_.Create(tenant, role, "");
    EXPECT_TRUE(made.ok());
    return made.ok() ? made->secret : "";
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  KeyStore keys_;  // the same store: what `icbroker keys create` writes
};

// Every documented operation as a request line, each {id} and {version}
// path segment filled with "x".
std::vector<std::pair<std::string, std::string>> Operations(const json& doc, std::vector<std::string>* access = nullptr) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string concrete = path, upper = method;
      for (const char* param : {"{id}", "{version}"})
        if (auto at = concrete.find(param); at != std::string::npos) concrete.replace(at, std::string(param).size(), "x");
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.emplace_back(upper, concrete);
      if (access) access->push_back(op.value("x-icbroker-access", ""));
    }
  return out;
}

json OpenApi() {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/openapi/openapi.json");
  return json::parse(in);
}

TEST_F(AuthApiTest, WithoutALiveKeyOnlyHealthAnswers) {
  std::vector<std::string> access;
  const auto ops = Operations(OpenApi(), &access);
  const std::string revoked = [&] {
    auto made = keys_.Create("acme", Role::kAdmin, "");
    EXPECT_TRUE(keys_.Revoke(made->key.id).ok());
    return made->secret;
  }();
  std::string wrong = Key("acme", Role::kAdmin);
  wrong[20] = wrong[20] == 'a' ? 'b' : 'a';  // the checksum no longer matches
  int refused = 0, public_ok = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& [method, path] = ops[i];
    for (const std::string& key : {std::string(), std::string("icb_nonsense"), revoked, wrong}) {
      HttpResponse r = Call(method, path, key, method == "GET" || method == "DELETE" ? "" : "{}");
      if (access[i] == "public") {
        EXPECT_NE(r.status, 401) << method << " " << path;
        public_ok += r.status == 200 ? 1 : 0;
        continue;
      }
      ASSERT_EQ(r.status, 401) << method << " " << path << " " << r.body;
      EXPECT_EQ(r.content_type, "application/problem+json");
      EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer realm=\"icbroker\"");
      EXPECT_EQ(json::parse(r.body)["type"], "urn:icbroker:problem:unauthenticated");
      ++refused;
    }
  }
  EXPECT_EQ(refused, 4 * 47);
  EXPECT_EQ(public_ok, 4 * 2);  // /v1/health and the console's page (its files are public too, "{file}" is none)
}

TEST_F(AuthApiTest, EachRoleReachesWhatItsAccessPermitsAndNoMore) {
  std::vector<std::string> access;
  const auto ops = Operations(OpenApi(), &access);
  const std::map<Role, std::string> keys = {{Role::kReader, Key("acme", Role::kReader)},
                                            {Role::kOperator, Key("acme", Role::kOperator)},
                                            {Role::kAdmin, Key("acme", Role::kAdmin)}};
  int forbidden = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& [method, path] = ops[i];
    for (const auto& [role, key] : keys) {
      // Bodies that would change something if they got through: an empty
      // object is refused by every schema, so nothing is written either way.
      HttpResponse r = Call(method, path, key, method == "GET" || method == "DELETE" ? "" : "{}");
      const bool permitted = access[i] == "public" || access[i] == "read" || (access[i] == "operate" && role != Role::kReader) || role == Role::kAdmin;
      if (permitted) {
        EXPECT_NE(r.status, 401) << method << " " << path;
        EXPECT_NE(r.status, 403) << RoleName(role) << " " << method << " " << path << " " << r.body;
      } else {
        ASSERT_EQ(r.status, 403) << RoleName(role) << " " << method << " " << path << " " << r.body;
        EXPECT_EQ(json::parse(r.body)["type"], "urn:icbroker:problem:permission-denied");
        ++forbidden;
      }
    }
  }
  // Readers: the 9 operate and 14 admin routes; operators: the 14 admin routes.
  EXPECT_EQ(forbidden, 9 + 14 + 14);
}

TEST_F(AuthApiTest, ARefusedWriteChangesNothing) {
  const std::string workload =
      R"({"id":"shop","priority":1,"profile_id":"kr-saas-critical","placement":"nimbus-global","failover":{"automatic":false}})";
  const std::string reader = Key("acme", Role::kReader);
  EXPECT_EQ(Call("PUT", "/v1/workloads/shop", "", workload).status, 401);
  EXPECT_EQ(Call("PUT", "/v1/workloads/shop", reader, workload).status, 403);
  EXPECT_EQ(Call("GET", "/v1/workloads/shop", reader).status, 404);
  auto stored = store_->HashGetAll(kWorkloadsKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

TEST_F(AuthApiTest, AKeyOverItsRateIsRefusedWithRetryAfterAndAnotherKeyIsNot) {
  ApiLimits limits;
  limits.per_key = {1, 2};  // one a second, two at once
  Api limited(*store_, catalog_, qos_, policies_, clock_, limits);
  limited.RequireKeys();
  auto call = [&](const std::string& key) {
    HttpRequest r;
    r.method = "GET";
    EXPECT_TRUE(ParseRequestTarget("/v1/providers?limit=1", r).ok());
    r.headers["authorization"] = "Bearer " + key;
    return limited.Handle(r);
  };
  const std::string flooding = Key("acme", Role::kReader), other = Key("bee", Role::kReader);
  EXPECT_EQ(call(flooding).status, 200);
  EXPECT_EQ(call(flooding).status, 200);
  HttpResponse refused = call(flooding);
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_EQ(Header(refused, "Retry-After"), "1");
  EXPECT_EQ(json::parse(refused.body)["type"], "urn:icbroker:problem:rate-limited");
  EXPECT_EQ(call(other).status, 200);  // its own rate
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(call(flooding).status, 200);
  // Without a key nothing is counted: the 401 comes first.
  HttpRequest anonymous;
  anonymous.method = "GET";
  EXPECT_TRUE(ParseRequestTarget("/v1/providers", anonymous).ok());
  EXPECT_EQ(limited.Handle(anonymous).status, 401);
}

TEST_F(AuthApiTest, AnAdminMakesListsAndRevokesKeysAndTheSecretIsShownOnce) {
  const std::string admin = Key("ops", Role::kAdmin);
  HttpResponse made = Call("POST", "/v1/keys", admin, R"({"tenant":"acme","role":"operator","name":"failover automation"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(Header(made, "Cache-Control"), "no-store");
  json key = json::parse(made.body);
  const std::string id = key["id"], secret = key["secret"];
  EXPECT_EQ(Header(made, "Location"), "/v1/keys/" + id);
  EXPECT_EQ(key["tenant"], "acme");
  EXPECT_EQ(key["role"], "operator");
  EXPECT_TRUE(key["revoked_at"].is_null());

  // The new key works at once, as an operator.
  EXPECT_EQ(Call("GET", "/v1/workloads", secret).status, 200);
  EXPECT_EQ(Call("POST", "/v1/keys", secret, R"({"tenant":"acme","role":"admin"})").status, 403);

  // Listed and shown without the secret or its hash.
  HttpResponse list = Call("GET", "/v1/keys?limit=10", admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["keys"].size(), 2u);
  HttpResponse shown = Call("GET", "/v1/keys/" + id, admin);
  ASSERT_EQ(shown.status, 200);
  for (const HttpResponse* r : {&list, &shown}) {
    EXPECT_EQ(r->body.find(secret.substr(17)), std::string::npos);
    EXPECT_EQ(r->body.find("digest"), std::string::npos);
  }

  HttpResponse revoked = Call("DELETE", "/v1/keys/" + id, admin);
  ASSERT_EQ(revoked.status, 200);
  ASSERT_EQ(Call("DELETE", "/v1/keys/" + id, admin).status, 200);  // again: unchanged, one event

  // The trail says who made and revoked it, never its text.
  const std::string admin_id = admin.substr(4, 12);
  for (const char* kind : {"key_created", "key_revoked"}) {
    HttpResponse trail = Call("GET", std::string("/v1/events?kind=") + kind, admin);
    ASSERT_EQ(trail.status, 200) << trail.body;
    std::vector<json> about;
    const json page = json::parse(trail.body);
    for (const auto& e : page["events"])
      if (e["inputs"]["key"] == id) about.push_back(e);
    ASSERT_EQ(about.size(), 1u) << kind << trail.body;
    EXPECT_EQ(about[0]["actor"], "key:" + admin_id) << kind;
    EXPECT_EQ(trail.body.find(secret.substr(17)), std::string::npos);
  }
  EXPECT_FALSE(json::parse(revoked.body)["revoked_at"].is_null());
  EXPECT_EQ(Call("GET", "/v1/workloads", secret).status, 401);
  EXPECT_EQ(Call("DELETE", "/v1/keys/nosuchkey000", admin).status, 404);
}

TEST_F(AuthApiTest, BadKeyRequestsAreRefusedWithThePointer) {
  const std::string admin = Key("ops", Role::kAdmin);
  for (const auto& [body, pointer] : std::vector<std::pair<std::string, std::string>>{
           {R"({"tenant":"acme","role":"root"})", "/role"},
           {R"({"tenant":"Acme!","role":"reader"})", "/tenant"},
           {R"({"role":"reader"})", ""},
           {R"({"tenant":"acme","role":"reader","name":")" + std::string(201, 'x') + R"("})", "/name"},
           {R"({"tenant":"acme","role":"reader","secret":"mine"})", ""}}) {
    HttpResponse r = Call("POST", "/v1/keys", admin, body);
    ASSERT_EQ(r.status, 400) << body;
    EXPECT_EQ(json::parse(r.body)["errors"][0]["pointer"], pointer) << r.body;
  }
  auto page = keys_.List("", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys.size(), 1u);  // the admin's own
}

TEST_F(AuthApiTest, HostileAuthorizationHeadersAreRefusedNeverAFiveHundred) {
  const std::string admin = Key("ops", Role::kAdmin);
  for (const std::string& value : {std::string("Basic YWRtaW46YWRtaW4="), std::string("Bearer"), std::string("Bearer "), std::string("bearer"),
                                   "Bearer " + std::string(8000, 'a'), "Bearer " + admin + admin, "Bearer\t" + admin, "Token " + admin,
                                   std::string("Bearer \xff\xfe"), "Bearer " + admin.substr(0, 20)}) {
    HttpRequest r;
    r.method = "GET";
    ASSERT_TRUE(ParseRequestTarget("/v1/workloads", r).ok());
    r.headers["authorization"] = value;
    HttpResponse resp = api_.Handle(r);
    EXPECT_EQ(resp.status, 401) << value.substr(0, 40);
  }
  // The scheme is case-insensitive (RFC 6750) and spaces around the token do not count.
  for (const std::string& value : {"bearer " + admin, "BEARER  " + admin + " "}) {
    HttpRequest r;
    r.method = "GET";
    ASSERT_TRUE(ParseRequestTarget("/v1/workloads", r).ok());
    r.headers["authorization"] = value;
    EXPECT_EQ(api_.Handle(r).status, 200) << value;
  }
}

}  // namespace
}  // namespace icb
