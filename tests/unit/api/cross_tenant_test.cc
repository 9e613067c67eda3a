// The cross-tenant suite, generated from the OpenAPI description: a victim
// tenant makes objects (a profile, a placed workload, its failover), then
// every documented operation is replayed against them by another tenant's
// reader and operator, and each write by the victim's own reader. Counted:
// leaks (an answer that shows the victim's object, or that differs from the
// answer for an id nobody has) and effects (any change to what the victim
// sees, its trail, or its service and record at the providers, after the
// orchestrator has run whatever the replays started). A route added later
// without its tenant's scope is in the description, so it is replayed too.
//
// Pairs: the default tenant as victim catches a route that forgets the
// scope (it would read the unprefixed, default space); a named tenant as
// victim with the default tenant as attacker catches one that takes a
// stored id ("acme~web") as it comes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::WorkloadDoc;

constexpr const char* kSecretName = "VICTIM-SECRET-NAME";

struct DocumentedOperation {
  std::string method, path, access, body_schema;  // body_schema: "workload.json", or "" without a body
  std::vector<std::string> query;                 // its query parameters
};

std::vector<DocumentedOperation> Documented() {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/openapi/openapi.json");
  const json doc = json::parse(in);
  std::vector<DocumentedOperation> out;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      DocumentedOperation d;
      d.method = method;
      for (auto& c : d.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      d.path = path;
      d.access = op.value("x-icbroker-access", "");
      if (op.contains("requestBody")) {
        const std::string ref = op["requestBody"]["content"]["application/json"]["schema"].value("$ref", "");
        d.body_schema = ref.substr(ref.rfind('/') + 1);
      }
      for (const auto& p : op.value("parameters", json::array()))
        if (p.value("in", "") == "query") d.query.push_back(p["name"]);
      out.push_back(std::move(d));
    }
  return out;
}

// The first valid example of a schema (schemas/examples/valid), or {}.
json ExampleOf(const std::string& schema) {
  const std::string stem = schema.substr(0, schema.size() - 5) + ".";
  std::vector<std::filesystem::path> found;
  for (const auto& e : std::filesystem::directory_iterator(std::string(ICB_SOURCE_DIR) + "/schemas/examples/valid"))
    if (e.path().filename().string().starts_with(stem)) found.push_back(e.path());
  if (found.empty()) return json::object();
  std::sort(found.begin(), found.end());
  std::ifstream in(found.front());
  return json::parse(in, nullptr, false);
}

struct Pair {
  std::string victim, attacker;
};
void PrintTo(const Pair& p, std::ostream* os) { *os << p.victim << " attacked by " << p.attacker; }

class CrossTenantTest : public testing::KeyedApiTest, public ::testing::WithParamInterface<Pair> {
 protected:  // What the victim sees, and what runs for it at the providers.
  std::string VictimView(const std::string& reader) {
    std::string view;
    for (const char* target : {"/v1/workloads", "/v1/profiles", "/v1/operations", "/v1/events?limit=1000"})
      view += std::string(target) + " " + As(reader, "GET", target).body + "\n";
    for (const char* p : {"sim-a", "sim-b", "sim-c"}) {
      auto state = adapters_.compute(p).State();
      for (const auto& s : state->services)
        if (s.service == service_) view += std::string(p) + " runs " + std::to_string(s.instances) + "\n";
    }
    auto record = adapters_.dns().Get(dns_name_, "A");
    if (record.ok() && *record) view += "dns " + json((*record)->contents).dump() + "\n";
    return view;
  }
  // An answer with `id` replaced: what one for an id nobody has must read.
  static std::string Shape(const HttpResponse& r, const std::string& id) {
    std::string body = r.body;
    if (!id.empty())
      for (size_t at = body.find(id); at != std::string::npos; at = body.find(id, at + 4)) body.replace(at, id.size(), "<id>");
    return std::to_string(r.status) + " " + r.content_type + " " + body;
  }

  std::string service_, dns_name_;
};

TEST_P(CrossTenantTest, EveryDocumentedOperationReplayedByAnotherTenantLeaksNothingAndChangesNothing) {
  const auto [victim, attacker] = GetParam();
  const std::string v_operator = Key(victim, Role::kOperator), v_reader = Key(victim, Role::kReader);
  const std::map<std::string, std::string> attackers = {{"another tenant's reader", Key(attacker, Role::kReader)},
                                                        {"another tenant's operator", Key(attacker, Role::kOperator)},
                                                        {"the victim's reader", v_reader}};
  // The victim's objects.
  json profile = json::parse(*catalog_.GetProfile("web"));
  profile["id"] = "v-prof";
  profile["description"] = kSecretName;
  ASSERT_EQ(As(v_operator, "PUT", "/v1/profiles/v-prof", profile.dump()).status, 201);
  json workload = WorkloadDoc("v-work");
  workload["name"] = kSecretName;
  workload["profile_id"] = "v-prof";
  service_ = "svc-" + victim;
  dns_name_ = "v-work-" + victim + ".lab.example.";
  workload["service"] = service_;
  workload["dns"]["name"] = dns_name_;
  ASSERT_EQ(As(v_operator, "PUT", "/v1/workloads/v-work", workload.dump()).status, 201);
  Drive();
  HttpResponse failover = As(v_operator, "POST", "/v1/workloads/v-work/failover", R"({"reason":"drill"})", {{"idempotency-key", "same-key"}});
  ASSERT_EQ(failover.status, 202) << failover.body;
  Drive();
  std::vector<std::string> ops;
  const json listed = json::parse(As(v_reader, "GET", "/v1/operations").body);  // named: a loop over a temporary's member would dangle
  for (const auto& o : listed["operations"]) ops.push_back(o["id"]);
  ASSERT_EQ(ops.size(), 2u);  // its place and its failover
  const std::string before = VictimView(v_reader);
  ASSERT_NE(before.find(kSecretName), std::string::npos);
  ASSERT_NE(before.find("runs"), std::string::npos);

  // What each body holds: the victim's own documents (less the name only
  // its own answers show) and requests, so a request that got through would
  // act on the victim's objects and names.
  json workload_copy = workload, profile_copy = profile;
  workload_copy["name"] = "a copy";
  profile_copy["description"] = "a copy";
  const std::map<std::string, json> bodies = {
      {"workload.json", workload_copy},
      {"profile.json", profile_copy},
      {"failover_request.json", {{"to", "sim-c"}}},
      {"workload_samples.json", {{"vantage", "v"}, {"samples", json::array({{{"ts", "2026-12-01T00:10:00Z"}, {"ok", false}, {"status", 503}}})}}},
      {"workload_migration_request.json", {{"to", "sim-c"}}},
      {"rank_request.json", {{"profile_id", "v-prof"}}},
      {"compare_request.json", {{"profile_id", "v-prof"}}}};
  const std::string prefix = TenantSpace::OfTenant(victim).prefix();
  int requests = 0, leaks = 0, refused_by_role = 0;
  for (const auto& op : Documented()) {
    if (op.access == "public") continue;
    // The victim's ids each path names, as the victim names them and as
    // they are stored; each with the id of the same kind nobody has.
    std::vector<std::pair<std::string, std::string>> ids;  // id, a missing one
    if (op.path.find("{id}") != std::string::npos) {
      if (op.path.starts_with("/v1/workloads/")) ids = {{"v-work", "x-work"}};
      else if (op.path.starts_with("/v1/profiles/")) ids = {{"v-prof", "x-prof"}};
      else if (op.path.starts_with("/v1/operations/")) ids = {{ops[0], "x" + ops[0].substr(1)}, {ops[1], "x" + ops[1].substr(1)}};
      else if (op.path.starts_with("/v1/providers/")) ids = {{"sim-a", ""}};  // shared, not the victim's
      else ids = {{"x", ""}};                                                  // keys: admins only
      if (!prefix.empty()) {
        const size_t n = ids.size();
        for (size_t i = 0; i < n; ++i)
          if (!ids[i].second.empty()) ids.push_back({prefix + ids[i].first, prefix + ids[i].second});
      }
    } else {
      ids = {{"", ""}};
    }
    // List routes: plain, and filtered by each victim id they take.
    std::vector<std::pair<std::string, std::string>> queries = {{"", ""}};
    for (const auto& q : op.query) {
      if (q == "workload") queries.push_back({"?workload=v-work", "?workload=x-work"});
      if (q == "operation") queries.push_back({"?operation=" + ops[1], "?operation=x" + ops[1].substr(1)});
      if (q != "after") continue;
      // A cursor is a place in the caller's order: the one nobody has sits
      // next to it (no id lies between "x" and "x-").
      if (op.path == "/v1/workloads") queries.push_back({"?after=v-work", "?after=v-work-"});
      if (op.path == "/v1/profiles") queries.push_back({"?after=v-prof", "?after=v-prof-"});
      if (op.path == "/v1/operations") queries.push_back({"?after=" + ops[0], "?after=" + ops[0] + "-"});
    }
    json body = json::object();
    if (!op.body_schema.empty()) body = bodies.count(op.body_schema) ? bodies.at(op.body_schema) : ExampleOf(op.body_schema);
    const bool write = op.method != "GET";
    for (const auto& [who, key] : attackers) {
      if (who == "the victim's reader" && !write) continue;
      const Role role = who.find("operator") != std::string::npos ? Role::kOperator : Role::kReader;
      for (const auto& [id, missing] : ids)
        for (const auto& [query, missing_query] : queries) {
          auto target = [&](const std::string& with, const std::string& q) {
            std::string t = op.path;
            for (const char* param : {"{id}", "{version}"})
              if (auto at = t.find(param); at != std::string::npos) t.replace(at, std::string(param).size(), std::string(param) == "{id}" ? with : "x");
            return t + q;
          };
          // A document's own id follows the URL's, as a client's would.
          auto sent = [&](const std::string& with) {
            if (!write) return std::string();
            json b = body;
            if (b.is_object() && b.contains("id") && !with.empty()) b["id"] = with;
            return b.dump();
          };
          HttpResponse r = As(key, op.method, target(id, query), sent(id), {{"idempotency-key", "same-key"}});
          ++requests;
          const std::string what = who + " " + op.method + " " + target(id, query) + " -> " + std::to_string(r.status) + " " + r.body.substr(0, 300);
          EXPECT_NE(r.status, 500) << what;
          const bool permitted = op.access == "read" || (op.access == "operate" && role == Role::kOperator);
          if (!permitted) {
            EXPECT_EQ(r.status, 403) << what;
            ++refused_by_role;
            continue;
          }
          if (who == "the victim's reader") continue;  // its own to see
          // What the answer shows beyond the ids the request named.
          std::string shown = r.body;
          for (const std::string& named : {id, query.substr(query.find('=') + 1)})
            if (!named.empty())
              for (size_t at = shown.find(named); at != std::string::npos; at = shown.find(named, at)) shown.erase(at, named.size());
          bool leaked = shown.find(kSecretName) != std::string::npos || shown.find(service_) != std::string::npos;
          if (!prefix.empty()) leaked = leaked || shown.find(prefix) != std::string::npos;
          for (const auto& o : ops) leaked = leaked || shown.find(o) != std::string::npos;
          if (!missing.empty() || !missing_query.empty()) {
            const std::string named = !missing.empty() ? id : query.substr(query.find('=') + 1);
            const std::string nobody = !missing.empty() ? missing : missing_query.substr(missing_query.find('=') + 1);
            const std::string twin_id = missing.empty() ? id : missing;
            HttpResponse twin = As(key, op.method, target(twin_id, missing_query.empty() ? query : missing_query), sent(twin_id),
                                   {{"idempotency-key", "same-key"}});
            if (Shape(r, named) != Shape(twin, nobody)) {
              leaked = true;
              ADD_FAILURE() << what << "\n  differs from the answer for an id nobody has: " << Shape(twin, nobody).substr(0, 300);
            }
          }
          EXPECT_FALSE(leaked) << what;
          leaks += leaked;
        }
    }
  }
  // Whatever the replays started has run; the victim's world is as it was.
  Drive();
  const std::string after = VictimView(v_reader);
  EXPECT_EQ(after, before);
  const int effects = after == before ? 0 : 1;
  EXPECT_EQ(leaks, 0);
  EXPECT_GT(requests, 90);
  EXPECT_GT(refused_by_role, 20);
  std::printf("cross-tenant (%s attacked by %s): %d requests, %d refused by role, %d leaks, %d effects\n", victim.c_str(), attacker.c_str(), requests,
              refused_by_role, leaks, effects);
}

INSTANTIATE_TEST_SUITE_P(Pairs, CrossTenantTest,
                         ::testing::Values(Pair{"default", "bee"}, Pair{"acme", "default"}, Pair{"acme", "bee"}),
                         [](const ::testing::TestParamInfo<Pair>& pair) { return pair.param.victim + "_by_" + pair.param.attacker; });

}  // namespace
}  // namespace icb
