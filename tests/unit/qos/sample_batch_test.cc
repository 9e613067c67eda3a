// The hand-written sample-batch checker agrees with schemas/qos_sample_batch.json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/qos/sample_batch.h"
#include "broker/schema/validator.h"

namespace icb {
namespace {

using nlohmann::json;

json Good() {
  return {{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "seoul"}, {"ts", "2026-11-01T00:00:00.5+09:00"},
          {"interval_s", 10}, {"ok", true}, {"latency_ms", 83.5}, {"status", 200}, {"error", nullptr}};
}

// Each mutation of one good sample, and the pointer both checkers must name.
struct Mutation {
  const char* name;
  std::function<void(json&)> apply;
  const char* pointer;  // "" = valid
};

TEST(SampleBatch, AgreesWithTheSchema) {
  auto schemas = *SchemaSet::LoadEmbedded();
  const std::vector<Mutation> mutations = {
      {"unchanged", [](json&) {}, ""},
      {"minimal", [](json& s) { s.erase("latency_ms"); s.erase("status"); s.erase("error"); }, ""},
      {"failed", [](json& s) { s["ok"] = false; s["latency_ms"] = nullptr; s["error"] = "connect"; s["status"] = 0; }, ""},
      {"bad provider", [](json& s) { s["provider"] = "P1"; }, "/samples/0/provider"},
      {"long endpoint", [](json& s) { s["endpoint"] = std::string(65, 'a'); }, "/samples/0/endpoint"},
      {"numeric vantage", [](json& s) { s["vantage"] = 7; }, "/samples/0/vantage"},
      {"no offset", [](json& s) { s["ts"] = "2026-11-01T00:00:00"; }, "/samples/0/ts"},
      {"zero interval", [](json& s) { s["interval_s"] = 0; }, "/samples/0/interval_s"},
      {"huge interval", [](json& s) { s["interval_s"] = 90000; }, "/samples/0/interval_s"},
      {"string ok", [](json& s) { s["ok"] = "yes"; }, "/samples/0/ok"},
      {"negative latency", [](json& s) { s["latency_ms"] = -1; }, "/samples/0/latency_ms"},
      {"latency beyond an hour", [](json& s) { s["latency_ms"] = 3600000.5; }, "/samples/0/latency_ms"},
      {"latency of an hour", [](json& s) { s["latency_ms"] = 3600000; }, ""},
      {"fractional status", [](json& s) { s["status"] = 200.5; }, "/samples/0/status"},
      {"status 1000", [](json& s) { s["status"] = 1000; }, "/samples/0/status"},
      {"unknown error", [](json& s) { s["ok"] = false; s["error"] = "dns"; }, "/samples/0/error"},
      {"extra field", [](json& s) { s["region"] = "kr"; }, "/samples/0"},
      {"missing ts", [](json& s) { s.erase("ts"); }, "/samples/0"},
      {"missing ok", [](json& s) { s.erase("ok"); }, "/samples/0"},
  };
  for (const auto& m : mutations) {
    json sample = Good();
    m.apply(sample);
    json batch = {{"samples", {sample}}};
    Status schema = schemas->Validate("qos_sample_batch.json", batch);
    auto fast = ParseSampleBatch(batch);
    EXPECT_EQ(schema.ok(), fast.ok()) << m.name << ": schema says " << schema.ToString() << "; fast says " << fast.status().ToString();
    if (*m.pointer) {
      ASSERT_FALSE(fast.ok()) << m.name;
      EXPECT_EQ(fast.status().errors().at(0).pointer, m.pointer) << m.name;
      bool schema_names_it = false;
      for (const auto& e : schema.errors()) schema_names_it |= e.pointer == m.pointer;
      EXPECT_TRUE(schema_names_it) << m.name << ": " << schema.ToString();
    }
  }
}

TEST(SampleBatch, BatchShape) {
  EXPECT_FALSE(ParseSampleBatch(json::array()).ok());
  EXPECT_EQ(ParseSampleBatch({{"samples", json::array()}}).status().errors().at(0).pointer, "/samples");
  EXPECT_EQ(ParseSampleBatch({{"samples", {Good()}}, {"x", 1}}).status().errors().at(0).message, "unknown property \"x\"");
  json big = {{"samples", json::array()}};
  for (int i = 0; i < 10001; ++i) big["samples"].push_back(Good());
  EXPECT_EQ(ParseSampleBatch(big).status().errors().at(0).pointer, "/samples");
  big["samples"].erase(big["samples"].begin());
  EXPECT_EQ(ParseSampleBatch(big)->size(), 10000u);
}

TEST(SampleBatch, StructuralErrorsFromText) {
  auto first = [](std::string_view text) {
    auto r = ParseSampleBatchText(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? FieldError{} : r.status().errors().at(0);
  };
  EXPECT_EQ(first(R"({"samples":[{"provider":"p1",}]})").pointer, "/samples/0");
  EXPECT_NE(first(R"({"samples":[{"provider":"p1",}]})").message.find("malformed JSON at byte"), std::string::npos);
  EXPECT_EQ(first("[]").pointer, "");
  EXPECT_EQ(first(R"({"samples":{"a":1}})").pointer, "/samples");
  EXPECT_EQ(first(R"({"samples":7})").pointer, "/samples");
  EXPECT_EQ(first(R"({})").message, "missing required property \"samples\"");
  EXPECT_EQ(first(R"({"samples":[1]})").pointer, "/samples/0");
  json nested = Good();
  nested["ts"] = {{"at", "2026-11-01T00:00:00Z"}};  // a container where a string belongs
  json batch = {{"samples", {Good(), nested, Good()}}};
  auto r = ParseSampleBatchText(batch.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().errors().at(0).pointer, "/samples/1/ts");
  EXPECT_EQ(r.status().errors().size(), 1u);  // the skipped object hides nothing else
  json extra = {{"samples", {Good()}}, {"meta", {{"a", {1, 2}}}}};
  EXPECT_EQ(ParseSampleBatchText(extra.dump()).status().errors().at(0).message, "unknown property \"meta\"");
}

TEST(SampleBatch, ConvertsFields) {
  auto r = ParseSampleBatch({{"samples", {Good()}}});
  ASSERT_TRUE(r.ok());
  const QosSample& s = (*r)[0];
  EXPECT_EQ(s.provider, "p1");
  EXPECT_EQ(s.ts.time_since_epoch().count(), 1793491200000LL - 9 * 3600000LL + 500);
  EXPECT_EQ(s.interval.count(), 10000);
  EXPECT_EQ(*s.latency_ms, 83.5);
  EXPECT_EQ(s.status, 200);
  // ok with an error is contradictory (the schema cannot see it).
  json bad = Good();
  bad["error"] = "timeout";
  EXPECT_EQ(ParseSampleBatch({{"samples", {bad}}}).status().errors().at(0).pointer, "/samples/0/error");
}

}  // namespace
}  // namespace icb
