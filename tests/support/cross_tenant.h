// The cross-tenant suite's replay, generated from the OpenAPI description
// (tests/unit/api/cross_tenant_test.cc on the in-process API with fake
// providers; tests/lab/cross_tenant_lab_test.cc on the binary and the lab's
// simulated providers): every documented operation and method is sent by
// another tenant's reader and operator (and each write by the victim's own
// reader) against the victim's objects, and counted: leaks (an answer that
// shows the victim's object, or that differs from the answer for an id
// nobody has) and refusals by role. Whether anything took effect is the
// caller's to judge from what the victim sees before and after.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace icb::testing {

struct DocumentedOperation {
  std::string method, path, access, body_schema;  // body_schema: "workload.json", or "" without a body
  std::vector<std::string> query;                 // its query parameters
};

inline std::vector<DocumentedOperation> DocumentedOperations() {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/openapi/openapi.json");
  const nlohmann::json doc = nlohmann::json::parse(in);
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
      for (const auto& p : op.value("parameters", nlohmann::json::array()))
        if (p.value("in", "") == "query") d.query.push_back(p["name"]);
      out.push_back(std::move(d));
    }
  return out;
}

// The first valid example of a schema (schemas/examples/valid), or {}.
inline nlohmann::json ExampleOf(const std::string& schema) {
  const std::string stem = schema.substr(0, schema.size() - 5) + ".";
  std::vector<std::filesystem::path> found;
  for (const auto& e : std::filesystem::directory_iterator(std::string(ICB_SOURCE_DIR) + "/schemas/examples/valid"))
    if (e.path().filename().string().starts_with(stem)) found.push_back(e.path());
  if (found.empty()) return nlohmann::json::object();
  std::sort(found.begin(), found.end());
  std::ifstream in(found.front());
  return nlohmann::json::parse(in, nullptr, false);
}

// The name only the victim's own answers may show.
inline constexpr const char* kVictimSecretName = "VICTIM-SECRET-NAME";

// Who is attacked by whom: tenant names ("default" the default tenant).
struct TenantPair {
  std::string victim, attacker;
};
inline void PrintTo(const TenantPair& p, std::ostream* os) { *os << p.victim << " attacked by " << p.attacker; }

// What each write sends: the victim's own documents (less the name only
// its answers show) and requests naming its objects, so a write that got
// through would act on them.
inline std::map<std::string, nlohmann::json> VictimBodies(nlohmann::json workload, nlohmann::json profile) {
  workload["name"] = "a copy";
  profile["description"] = "a copy";
  return {{"workload.json", workload},
          {"profile.json", profile},
          {"failover_request.json", {{"to", "sim-c"}}},
          {"workload_samples.json",
           {{"vantage", "v"}, {"samples", nlohmann::json::array({{{"ts", "2026-12-01T00:10:00Z"}, {"ok", false}, {"status", 503}}})}}},
          {"workload_migration_request.json", {{"to", "sim-c"}}},
          {"drill_request.json", {{"providers", {"sim-a", "sim-b"}}}},
          {"rank_request.json", {{"profile_id", "v-prof"}}},
          {"compare_request.json", {{"profile_id", "v-prof"}}}};
}

// An answer as the replay compares it.
struct TenantReply {
  int status = 0;
  std::string content_type, body;
};

// The victim's objects, as it named them and as they are stored.
struct VictimObjects {
  std::string workload = "v-work", profile = "v-prof";
  std::vector<std::string> operations;  // its place and its failover
  std::string prefix;                   // its stored ids' (TenantSpace prefix; "" for the default tenant)
  std::vector<std::string> secrets;     // what only its own answers may show (a name, its service)
  std::map<std::string, nlohmann::json> bodies;  // by body schema: what a write sends (the victim's own documents)
};

// An answer as a caller sees it, with `id` (the object asked for) as <id>
// and without the request's own id (each request has a new one): two
// answers with one shape tell the caller nothing apart.
inline std::string AnswerShape(int status, const std::string& content_type, std::string body, const std::string& id) {
  if (!id.empty())
    for (size_t at = body.find(id); at != std::string::npos; at = body.find(id, at + 4)) body.replace(at, id.size(), "<id>");
  if (size_t at = body.find(",\"request_id\":\""); at != std::string::npos) {
    const size_t end = body.find('"', at + 15);
    if (end != std::string::npos) body.erase(at, end + 1 - at);
  }
  return std::to_string(status) + " " + content_type + " " + body;
}

struct ReplayCounts {
  int requests = 0, leaks = 0, refused_by_role = 0;
};

// `as(key, method, target, body, headers)` sends one request.
template <typename Send>
ReplayCounts ReplayAgainstVictim(Send as, const std::map<std::string, std::string>& attackers, const VictimObjects& v) {
  ReplayCounts n;
  const auto& ops = v.operations;
  auto shape = [](const TenantReply& r, const std::string& id) { return AnswerShape(r.status, r.content_type, r.body, id); };
  for (const auto& op : DocumentedOperations()) {
    if (op.access == "public") continue;
    std::vector<std::pair<std::string, std::string>> ids;  // id, a missing one of its kind
    if (op.path.find("{id}") != std::string::npos) {
      if (op.path.starts_with("/v1/workloads/")) ids = {{v.workload, "x-work"}};
      else if (op.path.starts_with("/v1/profiles/")) ids = {{v.profile, "x-prof"}};
      else if (op.path.starts_with("/v1/operations/")) ids = {{ops[0], "x" + ops[0].substr(1)}, {ops[1], "x" + ops[1].substr(1)}};
      else if (op.path.starts_with("/v1/providers/")) ids = {{"sim-a", ""}};  // shared, not the victim's
      else ids = {{"x", ""}};                                                  // keys, credentials: admins only
      if (!v.prefix.empty()) {
        const size_t count = ids.size();
        for (size_t i = 0; i < count; ++i)
          if (!ids[i].second.empty()) ids.push_back({v.prefix + ids[i].first, v.prefix + ids[i].second});
      }
    } else {
      ids = {{"", ""}};
    }
    std::vector<std::pair<std::string, std::string>> queries = {{"", ""}};
    for (const auto& q : op.query) {
      if (q == "workload") queries.push_back({"?workload=" + v.workload, "?workload=x-work"});
      if (q == "operation") queries.push_back({"?operation=" + ops[1], "?operation=x" + ops[1].substr(1)});
      if (q != "after") continue;
      // A cursor is a place in the caller's order: the one nobody has sits
      // next to it (no id lies between "x" and "x-").
      if (op.path == "/v1/workloads") queries.push_back({"?after=" + v.workload, "?after=" + v.workload + "-"});
      if (op.path == "/v1/profiles") queries.push_back({"?after=" + v.profile, "?after=" + v.profile + "-"});
      if (op.path == "/v1/operations") queries.push_back({"?after=" + ops[0], "?after=" + ops[0] + "-"});
    }
    nlohmann::json body = nlohmann::json::object();
    if (!op.body_schema.empty()) body = v.bodies.count(op.body_schema) ? v.bodies.at(op.body_schema) : ExampleOf(op.body_schema);
    const bool write = op.method != "GET";
    for (const auto& [who, key] : attackers) {
      if (who == "the victim's reader" && !write) continue;
      const bool operator_role = who.find("operator") != std::string::npos;
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
            nlohmann::json b = body;
            if (b.is_object() && b.contains("id") && !with.empty()) b["id"] = with;
            return b.dump();
          };
          TenantReply r = as(key, op.method, target(id, query), sent(id), std::map<std::string, std::string>{{"idempotency-key", "same-key"}});
          ++n.requests;
          const std::string what = who + " " + op.method + " " + target(id, query) + " -> " + std::to_string(r.status) + " " + r.body.substr(0, 300);
          EXPECT_NE(r.status, 500) << what;
          EXPECT_NE(r.status, 0) << what;
          const bool permitted = op.access == "read" || (op.access == "operate" && operator_role);
          if (!permitted) {
            EXPECT_EQ(r.status, 403) << what;
            ++n.refused_by_role;
            continue;
          }
          if (who == "the victim's reader") continue;  // its own to see
          // What the answer shows beyond the ids the request named.
          std::string shown = r.body;
          for (const std::string& named : {id, query.substr(query.find('=') + 1)})
            if (!named.empty())
              for (size_t at = shown.find(named); at != std::string::npos; at = shown.find(named, at)) shown.erase(at, named.size());
          bool leaked = std::any_of(v.secrets.begin(), v.secrets.end(), [&](const std::string& s) { return shown.find(s) != std::string::npos; });
          if (!v.prefix.empty()) leaked = leaked || shown.find(v.prefix) != std::string::npos;
          for (const auto& o : ops) leaked = leaked || shown.find(o) != std::string::npos;
          if (!missing.empty() || !missing_query.empty()) {
            const std::string named = !missing.empty() ? id : query.substr(query.find('=') + 1);
            const std::string nobody = !missing.empty() ? missing : missing_query.substr(missing_query.find('=') + 1);
            const std::string twin_id = missing.empty() ? id : missing;
            TenantReply twin = as(key, op.method, target(twin_id, missing_query.empty() ? query : missing_query), sent(twin_id),
                                  std::map<std::string, std::string>{{"idempotency-key", "same-key"}});
            if (shape(r, named) != shape(twin, nobody)) {
              leaked = true;
              ADD_FAILURE() << what << "\n  differs from the answer for an id nobody has: " << shape(twin, nobody).substr(0, 300);
            }
          }
          EXPECT_FALSE(leaked) << what;
          n.leaks += leaked;
        }
    }
  }
  return n;
}

}  // namespace icb::testing
