// Documents recognised by their content: each kind by its own fields, the
// closest kind's violations for an invalid one, ambiguity named.
#include "broker/schema/recognise.h"

#include <gtest/gtest.h>

namespace icb {
namespace {

using nlohmann::json;

class RecogniseTest : public ::testing::Test {
 protected:
  std::shared_ptr<const SchemaSet> schemas_ = *SchemaSet::LoadEmbedded();
  Recognition Of(const std::string& text) { return RecogniseDocument(*schemas_, json::parse(text)); }
};

TEST_F(RecogniseTest, EachKindByItsFields) {
  EXPECT_EQ(Of(R"({"name":"x","service_model":"IaaS","regions":[{"id":"r","country":"KR"}]})").schema, "provider.json");
  EXPECT_EQ(Of(R"({"samples":[]})").schema, "qos_sample_batch.json");
  EXPECT_EQ(Of(R"({"vantage":"seoul","samples":[]})").schema, "workload_samples.json");
  // An event's fields live in its variants (dispatched by kind).
  auto event = Of(R"({"kind":"backup","at":"2026-11-02T03:00:00Z","scheduled":true,"ok":true})");
  EXPECT_EQ(event.schema, "event.json");
  EXPECT_TRUE(event.status.ok()) << event.status.ToString();
}

TEST_F(RecogniseTest, AnInvalidDocumentGetsTheClosestKindsViolations) {
  auto r = Of(R"({"name":"x","service_model":"NaaS","regions":[{"id":"r","country":"KR"}]})");
  EXPECT_EQ(r.schema, "provider.json");
  ASSERT_FALSE(r.status.ok());
  ASSERT_EQ(r.status.errors().size(), 1u) << r.status.ToString();
  EXPECT_EQ(r.status.errors()[0].pointer, "/service_model");
  // An event missing a field its variant requires is still an event.
  auto event = Of(R"({"kind":"backup","at":"2026-11-02T03:00:00Z","scheduled":true})");
  EXPECT_EQ(event.schema, "event.json");
  EXPECT_FALSE(event.status.ok());
}

TEST_F(RecogniseTest, AmbiguityIsNamedAndStrangersAreNotGuessed) {
  auto both = Of(R"({"to":"sim-b"})");
  EXPECT_TRUE(both.status.ok());
  std::vector<std::string> all = both.also_valid;
  all.push_back(both.schema);
  EXPECT_NE(std::find(all.begin(), all.end(), "failover_request.json"), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), "workload_migration_request.json"), all.end());
  // A field only the workload-migration request declares decides it.
  EXPECT_EQ(Of(R"({"to":"sim-b","retention_s":3600})").schema, "workload_migration_request.json");

  for (const char* stranger : {R"({"colour":"blue"})", "[1,2]", "42", "{}"}) {
    auto r = Of(stranger);
    EXPECT_EQ(r.schema, "") << stranger;
    EXPECT_FALSE(r.status.ok()) << stranger;
  }
}

}  // namespace
}  // namespace icb
