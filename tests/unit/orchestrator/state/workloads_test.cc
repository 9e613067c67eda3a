// Workload documents through the API: the one door, references checked
// against the catalog (404 naming the pointer, 400 for a provider without
// the adapter its role needs), placement moved only by operations, and a
// refusal changes nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/api_harness.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;

class WorkloadApi : public ::testing::Test, protected testing::ApiHarness {
 protected:
  WorkloadApi() : ApiHarness("2026-11-23T00:00:00Z") {
    // "a" and "b" can run it and hold DNS; "bare" has no adapters.
    for (const char* id : {"a", "b"}) {
      json p = testing::ProviderDoc(id);
      p["adapters"] = {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://127.0.0.1:7000"}}}}},
                       {"dns", {{"adapter", "powerdns"}, {"config", {{"api_url", "http://127.0.0.1:8081"}, {"api_key", "k"}, {"zone", "lab."}}}}}};
      EXPECT_TRUE(catalog_.PutProvider(id, p).ok());
    }
    EXPECT_TRUE(catalog_.PutProvider("bare", testing::ProviderDoc("bare")).ok());
    EXPECT_TRUE(catalog_.PutProfile("web", {{"id", "web"}, {"description", "d"}}).ok());
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    EXPECT_TRUE(ParseRequestTarget(path, r).ok()) << path;
    if (method == "PUT") r.headers["content-type"] = "application/json";
    r.body = body;
    return api_.Handle(r);
  }
  static json Doc() {
    return {{"name", "Shop"}, {"priority", 1}, {"recovery_class", "quality"}, {"profile_id", "web"},
            {"placement", {{"provider", "a"}}}, {"service", "shop"}, {"instances", 2},
            {"dns", {{"provider", "a"}, {"name", "shop.lab."}, {"ttl", 5}}}, {"candidates", {"a", "b"}}, {"rto_s", 60}};
  }
  std::pair<int, std::string> Problem(const HttpResponse& r) {
    EXPECT_EQ(r.content_type, "application/problem+json") << r.body;
    auto j = json::parse(r.body);
    return {r.status, j["errors"].empty() ? std::string("<none>") : j["errors"][0]["pointer"].get<std::string>()};
  }
};

TEST_F(WorkloadApi, CreateReadListReplaceDelete) {
  auto created = Call("PUT", "/v1/workloads/shop", Doc().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  auto doc = json::parse(created.body);
  EXPECT_EQ(doc["id"], "shop");
  EXPECT_EQ(doc["state"], "running");  // the broker's
  EXPECT_EQ(doc["placement"]["since"], "2026-11-23T00:00:00Z");
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body), doc);
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads").body)["workloads"].size(), 1u);
  // Replacing keeps placement.since and ignores what the broker owns.
  clock_.Advance(std::chrono::hours(1));
  json changed = doc;
  changed["instances"] = 3;
  changed["state"] = "unplaced";
  auto replaced = Call("PUT", "/v1/workloads/shop", changed.dump());
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  auto after = json::parse(replaced.body);
  EXPECT_EQ(after["instances"], 3);
  EXPECT_EQ(after["state"], "running");
  EXPECT_EQ(after["placement"]["since"], "2026-11-23T00:00:00Z");
  EXPECT_EQ(Call("DELETE", "/v1/workloads/shop").status, 204);
  EXPECT_EQ(Call("GET", "/v1/workloads/shop").status, 404);
  EXPECT_EQ(Problem(Call("DELETE", "/v1/workloads/shop")).first, 404);
}

TEST_F(WorkloadApi, ListsPageByCursorEachWithItsStatus) {
  for (const char* id : {"w3", "w1", "w4", "w2"}) ASSERT_EQ(Call("PUT", std::string("/v1/workloads/") + id, Doc().dump()).status, 201);
  std::vector<std::string> ids;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    const json page = json::parse(Call("GET", "/v1/workloads?limit=3" + (after.empty() ? "" : "&after=" + after)).body);
    for (const auto& w : page["workloads"]) {
      ids.push_back(w["id"]);
      EXPECT_EQ(w["state"], "running");  // each with the broker's fields, as GET of one shows it
      EXPECT_EQ(w, json::parse(Call("GET", "/v1/workloads/" + w["id"].get<std::string>()).body));
    }
    if (page["next"].is_null()) break;
    after = page["next"];
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"w1", "w2", "w3", "w4"}));
  EXPECT_EQ(Problem(Call("GET", "/v1/workloads?limit=1001")).first, 400);
}

TEST_F(WorkloadApi, BadReferencesAreRefusedAtTheirPointerAndChangeNothing) {
  auto with = [](const char* pointer, json value) {
    json d = Doc();
    d[json::json_pointer(pointer)] = std::move(value);
    return d.dump();
  };
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/profile_id", "nope"))), std::make_pair(404, std::string("/profile_id")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/placement/provider", "nope"))), std::make_pair(404, std::string("/placement/provider")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/candidates/1", "nope"))), std::make_pair(404, std::string("/candidates/1")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/dns/provider", "nope"))), std::make_pair(404, std::string("/dns/provider")));
  // Known, but without a compute adapter / a dns adapter.
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/placement/provider", "bare"))), std::make_pair(400, std::string("/placement/provider")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/dns/provider", "bare"))), std::make_pair(400, std::string("/dns/provider")));
  // Data needs object storage at the placement.
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/data", json::array({{{"name", "db"}, {"prefix", "db/"}}})))).first, 400);
  // Schema: both profile forms, a priority of 0, a bad record name.
  json both = Doc();
  both["profile"] = {{"description", "x"}};
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", both.dump())).first, 400);
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/priority", 0))), std::make_pair(400, std::string("/priority")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/dns/name", "not a name"))), std::make_pair(400, std::string("/dns/name")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", "[")).first, 400);
  EXPECT_EQ(Call("GET", "/v1/workloads/w").status, 404);  // nothing stored by any of them
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads").body)["workloads"].size(), 0u);
}

// Audiences are kept as written, the broker's placements of them are its
// own, and their references and networks are refused at their pointers.
TEST_F(WorkloadApi, AudiencesAreKeptAsWrittenAndTheirPlacementsAreTheBrokers) {
  json doc = Doc();
  doc["audiences"] = {{{"id", "home"}, {"networks", {"203.0.113.0/24"}}, {"vantage", "seoul-1"}, {"p95_ms", 150}},
                      {{"id", "abroad"}, {"networks", {"198.51.100.0/24", "2001:db8::/32"}}, {"vantage", "frankfurt-1"}, {"p95_ms", 250},
                       {"candidates", {"b"}}}};
  doc["audience_placements"] = {{"abroad", {{"provider", "b"}, {"since", "2026-11-23T00:00:00Z"}}}};
  auto created = Call("PUT", "/v1/workloads/shop", doc.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json stored = json::parse(created.body);
  EXPECT_EQ(stored["audiences"], doc["audiences"]);
  EXPECT_FALSE(stored.contains("audience_placements"));  // the client's is ignored: none moved yet
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body), stored);

  auto with = [&](const char* pointer, json value) {
    json d = doc;
    d[json::json_pointer(pointer)] = std::move(value);
    return d.dump();
  };
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/audiences/1/candidates/0", "nope"))),
            std::make_pair(404, std::string("/audiences/1/candidates/0")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/audiences/1/candidates/0", "bare"))),
            std::make_pair(400, std::string("/audiences/1/candidates/0")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/audiences/1/networks/0", "203.0.113.128/25"))),
            std::make_pair(400, std::string("/audiences/1/networks/0")));
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", with("/audiences/0/networks/0", "203.0.113.1/24"))),
            std::make_pair(400, std::string("/audiences/0/networks/0")));
  EXPECT_EQ(Call("GET", "/v1/workloads/w").status, 404);  // nothing stored by any of them
}

TEST_F(WorkloadApi, PlacementMovesOnlyThroughOperations) {
  ASSERT_EQ(Call("PUT", "/v1/workloads/shop", Doc().dump()).status, 201);
  json moved = Doc();
  moved["placement"]["provider"] = "b";
  auto r = Call("PUT", "/v1/workloads/shop", moved.dump());
  EXPECT_EQ(Problem(r), std::make_pair(409, std::string("/placement/provider")));
  EXPECT_EQ(json::parse(Call("GET", "/v1/workloads/shop").body)["placement"]["provider"], "a");
}

TEST_F(WorkloadApi, AnInlineProfileIsCheckedToo) {
  json inline_profile = Doc();
  inline_profile.erase("profile_id");
  inline_profile["profile"] = {{"policy", "weighted_sum"}, {"constraints", {{"countries", {"Korea"}}}}};
  EXPECT_EQ(Problem(Call("PUT", "/v1/workloads/w", inline_profile.dump())), std::make_pair(400, std::string("/profile/constraints/countries/0")));
  inline_profile["profile"]["constraints"]["countries"] = {"KR"};
  EXPECT_EQ(Call("PUT", "/v1/workloads/w", inline_profile.dump()).status, 201);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

class OperationApi : public ::testing::Test, protected testing::ApiHarness {
 protected:
  OperationApi() : ApiHarness("2026-11-23T00:00:00Z"), operations_(*store_) {}
  HttpResponse Get(const std::string& path) {
    HttpRequest r;
    r.method = "GET";
    EXPECT_TRUE(ParseRequestTarget(path, r).ok()) << path;
    return api_.Handle(r);
  }
  void Add(const std::string& id, const std::string& kind, const std::string& workload, OperationState state) {
    Operation op;
    op.id = id;
    op.kind = kind;
    op.workload = workload;
    op.state = state;
    op.created_at = op.updated_at = clock_.Now();
    op.steps.push_back({"choose_target", StepState::kSucceeded, clock_.Now(), clock_.Now(), 1, {{"target", "b"}}});
    ASSERT_TRUE(operations_.Create(op, nullptr).ok());
  }
  std::vector<std::string> Ids(const std::string& path) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const auto answer = nlohmann::json::parse(r.body);  // named: the loop below reads into it
    for (const auto& op : answer["operations"]) out.push_back(op["id"].get<std::string>());
    return out;
  }
  OperationStore operations_;
};

TEST_F(OperationApi, ListsAndFiltersWhatTheRecordsSay) {
  Add("op-1", "failover", "shop", OperationState::kSucceeded);
  Add("op-2", "place", "shop", OperationState::kRunning);
  Add("op-3", "failover", "blog", OperationState::kWaiting);
  EXPECT_EQ(Ids("/v1/operations"), (std::vector<std::string>{"op-1", "op-2", "op-3"}));
  EXPECT_EQ(Ids("/v1/operations?workload=shop"), (std::vector<std::string>{"op-1", "op-2"}));
  EXPECT_EQ(Ids("/v1/operations?kind=failover&state=waiting"), std::vector<std::string>{"op-3"});
  EXPECT_TRUE(Ids("/v1/operations?workload=none").empty());
  auto one = Get("/v1/operations/op-1");
  ASSERT_EQ(one.status, 200);
  auto doc = nlohmann::json::parse(one.body);
  EXPECT_EQ(doc["state"], "succeeded");
  EXPECT_EQ(doc["steps"][0]["detail"]["target"], "b");
  EXPECT_EQ(Get("/v1/operations/op-9").status, 404);
  EXPECT_EQ(Get("/v1/operations?state=exploded").status, 400);
}

}  // namespace
}  // namespace icb
