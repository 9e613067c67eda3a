#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "broker/catalog/catalog.h"
#include "broker/schema/validator.h"

namespace icb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::shared_ptr<const SchemaSet> Schemas() {
  static auto s = SchemaSet::LoadEmbedded();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SchemaFor(const fs::path& p) {
  std::string name = p.filename().string();
  return name.substr(0, name.find('.')) + ".json";
}

TEST(Schemas, AllCompile) {
  auto s = Schemas();
  for (const char* name : {"provider.json", "sla.json", "profile.json", "qos_sample_batch.json", "event.json", "rank_request.json", "compare_request.json",
                           "event.json#/definitions/backup"}) {
    EXPECT_TRUE(s->Has(name)) << name;
  }
}

// Every property of every schema carries a description (the schemas are the
// reference for API users).
void ExpectDescribed(const json& node, const std::string& where) {
  if (!node.is_object()) return;
  if (node.contains("properties")) {
    for (const auto& [k, v] : node["properties"].items()) {
      EXPECT_TRUE(v.contains("description")) << where << "/properties/" << k;
      ExpectDescribed(v, where + "/properties/" + k);
    }
  }
  for (const char* sub : {"items", "definitions"}) {
    if (!node.contains(sub)) continue;
    if (std::string(sub) == "definitions") {
      for (const auto& [k, v] : node[sub].items()) ExpectDescribed(v, where + "/definitions/" + k);
    } else {
      ExpectDescribed(node[sub], where + "/items");
    }
  }
}

TEST(Schemas, EveryPropertyIsDescribed) {
  for (const auto& e : fs::directory_iterator(std::string(ICB_SOURCE_DIR) + "/schemas")) {
    if (e.path().extension() != ".json") continue;
    ExpectDescribed(json::parse(Slurp(e.path())), e.path().filename().string());
  }
}

TEST(Schemas, ValidExamplesPass) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(std::string(ICB_SOURCE_DIR) + "/schemas/examples/valid")) {
    Status s = CheckDocumentText(*Schemas(), SchemaFor(e.path()), Slurp(e.path()));
    EXPECT_TRUE(s.ok()) << e.path() << ": " << s.ToString();
    ++n;
  }
  EXPECT_GE(n, 10);
}

// Each invalid example is rejected at the pointer that names its defect.
TEST(Schemas, InvalidExamplesFailAtTheirPointer) {
  const std::map<std::string, std::string> expected = {
      {"provider.extra-field.json", ""},  // additionalProperties is reported on the object itself
      {"provider.bad-country.json", "/regions/0/country"},
      {"provider.bad-model.json", "/service_model"},
      {"provider.uppercase-id.json", "/id"},
      {"sla.availability-over-100.json", "/targets/availability_percent"},
      {"sla.bad-date.json", "/effective_from"},
      {"sla.unknown-target.json", "/targets"},
      {"sla.checklist-without-evidence.json", "/targets/service_support_system"},
      {"profile.unknown-criterion.json", "/weights"},
      {"profile.empty-bound.json", "/constraints/targets/availability_percent"},
      {"qos_sample_batch.bad-error.json", "/samples/1/error"},
      {"event.backup-missing-ok.json", ""},
      {"event.unknown-kind.json", "/kind"},
      {"rank_request.both-profile-and-id.json", ""},
      {"rank_request.top-k-zero.json", "/top_k"},
      {"workload.both-profiles.json", ""},
      {"workload.audience-overlap.json", "/audiences/1/networks/1"},
      {"failover_request.bad-id.json", "/to"},
      {"workload_samples.ok-not-boolean.json", "/samples/0/ok"},
      {"migration_request.bad-target.json", "/target/provider"},
      {"workload_migration_request.extra-field.json", ""},
      {"key_request.unknown-role.json", "/role"},
      {"drill_request.no-provider.json", "/providers"},
  };
  int n = 0;
  for (const auto& e : fs::directory_iterator(std::string(ICB_SOURCE_DIR) + "/schemas/examples/invalid")) {
    std::string name = e.path().filename().string();
    ASSERT_TRUE(expected.count(name)) << "add " << name << " to the expected table";
    Status s = CheckDocumentText(*Schemas(), SchemaFor(e.path()), Slurp(e.path()));
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    bool found = false;
    std::string got;
    for (const auto& err : s.errors()) {
      found |= err.pointer == expected.at(name);
      got += err.pointer + " (" + err.message + "); ";
    }
    EXPECT_TRUE(found) << name << ": expected pointer '" << expected.at(name) << "', got " << got;
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(expected.size()));
}

TEST(Schemas, ReportsEveryViolationNotJustTheFirst) {
  json doc = {{"id", "p1"}, {"name", ""}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "kr"}}}}};
  Status s = Schemas()->Validate("provider.json", doc);
  ASSERT_FALSE(s.ok());
  std::set<std::string> pointers;
  for (const auto& e : s.errors()) pointers.insert(e.pointer);
  EXPECT_TRUE(pointers.count("/name"));
  EXPECT_TRUE(pointers.count("/regions/0/country"));
}

TEST(Schemas, MalformedJsonNamesTheByte) {
  auto r = ParseJson("{\"id\": \"x\",}");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.status().errors().size(), 1u);
  EXPECT_EQ(r.status().errors()[0].pointer, "");
  EXPECT_NE(r.status().errors()[0].message.find("byte 12"), std::string::npos) << r.status().errors()[0].message;
}

TEST(Schemas, PointerEscapesSlashAndTilde) { EXPECT_EQ(JsonPointer({"a/b", "c~d", "0"}), "/a~1b/c~0d/0"); }

}  // namespace
}  // namespace icb
