#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "broker/model/criteria.h"

namespace icb {
namespace {

// The target table and the SLA schema must name the same targets and the same
// check items, or ranking would silently ignore a published field.
TEST(Criteria, TableMatchesSlaSchema) {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/sla.json");
  auto schema = nlohmann::json::parse(in);
  const auto& props = schema["properties"]["targets"]["properties"];
  std::set<std::string> in_schema, in_table;
  for (const auto& [k, v] : props.items()) in_schema.insert(k);
  for (const auto& t : kTargets) in_table.insert(std::string(t.name));
  EXPECT_EQ(in_schema, in_table);
  for (const auto& cl : kChecklists) {
    std::set<std::string> items_schema, items_table;
    for (const auto& [k, v] : props[std::string(cl.target)]["properties"].items())
      if (k != "evidence") items_schema.insert(k);
    for (int i = 0; i < cl.count; ++i) items_table.insert(std::string(cl.items[i]));
    EXPECT_EQ(items_schema, items_table) << cl.target;
  }
}

TEST(Criteria, EveryCriterionHasATarget) {
  for (int c = 0; c < kNumCriteria; ++c) {
    int n = 0;
    for (const auto& t : kTargets) n += static_cast<int>(t.criterion) == c;
    EXPECT_GT(n, 0) << kCriterionNames[c];
  }
}

const TargetSpec& Spec(std::string_view name) { return kTargets[*TargetIndex(name)]; }

TEST(Criteria, AvailabilityScoresInNines) {
  // 99 % = 2 nines -> 0, 99.999 % = 5 nines -> 1, so each nine is 1/3.
  const auto& a = Spec("availability_percent");
  EXPECT_DOUBLE_EQ(NormaliseTarget(a, 99.0), 0.0);
  EXPECT_NEAR(NormaliseTarget(a, 99.9), 1.0 / 3, 1e-9);
  EXPECT_NEAR(NormaliseTarget(a, 99.99), 2.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(NormaliseTarget(a, 99.999), 1.0);
  EXPECT_DOUBLE_EQ(NormaliseTarget(a, 100.0), 1.0);  // clamped
  EXPECT_DOUBLE_EQ(NormaliseTarget(a, 95.0), 0.0);
}

TEST(Criteria, LowerIsBetterOnLogAndLinearScales) {
  // p95: 5000 ms -> 0, 50 ms -> 1 on a log scale; 500 ms is halfway (a factor 10 each side).
  const auto& p95 = Spec("response_ms_p95");
  EXPECT_NEAR(NormaliseTarget(p95, 500), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(NormaliseTarget(p95, 20), 1.0);
  // scale_minutes: 60 -> 0, 1 -> 1 linearly; 30.5 is halfway.
  EXPECT_NEAR(NormaliseTarget(Spec("scale_minutes"), 30.5), 0.5, 1e-12);
  // backup compliance: 90 -> 0, 100 -> 1; 97.5 -> 0.75.
  EXPECT_NEAR(NormaliseTarget(Spec("backup_compliance_percent"), 97.5), 0.75, 1e-12);
}

}  // namespace
}  // namespace icb
