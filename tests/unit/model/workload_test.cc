// A workload's audiences through the one door (schema, then the typed
// form): their networks parsed, defaults applied, and what the schema
// cannot say refused at its pointer — a network that is not one, bits
// beyond the prefix, a network in two audiences, an id declared twice.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"
#include "broker/schema/validator.h"

namespace icb {
namespace {

using nlohmann::json;

json Example(const std::string& name) {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/schemas/examples/valid/" + name);
  return json::parse(in);
}

std::shared_ptr<const SchemaSet> Schemas() {
  static auto s = SchemaSet::LoadEmbedded();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

// Every pointer a refusal names, with its message.
std::map<std::string, std::string> Refused(const json& doc) {
  Status s = CheckDocument(*Schemas(), "workload.json", doc);
  std::map<std::string, std::string> out;
  EXPECT_FALSE(s.ok()) << doc.dump();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  for (const auto& e : s.errors()) out[e.pointer] = e.message;
  return out;
}

TEST(WorkloadAudiences, ParsedWithTheirNetworksAndDefaults) {
  const json doc = Example("workload.audiences.json");
  ASSERT_TRUE(CheckDocument(*Schemas(), "workload.json", doc).ok());
  auto w = WorkloadFromJson(doc);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->audiences.size(), 2u);
  const auto& domestic = w->audiences[0];
  EXPECT_EQ(domestic.id, "domestic");
  EXPECT_EQ(domestic.vantage, "seoul-1");
  EXPECT_EQ(domestic.p95_ms, 150);
  EXPECT_EQ(domestic.window_s, 300);    // the default
  EXPECT_EQ(domestic.cooldown_s, 300);  // the default
  EXPECT_TRUE(domestic.candidates.empty());
  ASSERT_EQ(domestic.networks.size(), 2u);
  EXPECT_TRUE(domestic.networks[0].Contains(*IpAddress::Parse("203.0.113.77")));
  EXPECT_FALSE(domestic.networks[0].Contains(*IpAddress::Parse("203.0.114.1")));
  EXPECT_TRUE(domestic.networks[1].Contains(*IpAddress::Parse("2001:db8:100:ffff::1")));
  const auto& eu = w->audiences[1];
  EXPECT_EQ(eu.window_s, 120);
  EXPECT_EQ(eu.cooldown_s, 600);
  EXPECT_EQ(eu.candidates, std::vector<std::string>{"nimbus-global"});
  // A workload without audiences has none (one answer for everyone).
  json plain = doc;
  plain.erase("audiences");
  EXPECT_TRUE(WorkloadFromJson(plain)->audiences.empty());
}

TEST(WorkloadAudiences, AnAddressAloneIsThatAddress) {
  json doc = Example("workload.audiences.json");
  doc["audiences"][0]["networks"] = {"203.0.113.9", "2001:db8::1"};
  auto w = WorkloadFromJson(doc);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->audiences[0].networks[0].prefix, 32);
  EXPECT_EQ(w->audiences[0].networks[1].prefix, 128);
  EXPECT_FALSE(w->audiences[0].networks[0].Contains(*IpAddress::Parse("203.0.113.10")));
}

TEST(WorkloadAudiences, WhatTheSchemaCannotSayIsRefusedAtItsPointer) {
  const json good = Example("workload.audiences.json");
  auto with = [&](const std::string& pointer, const json& value) {
    json doc = good;
    doc[json::json_pointer(pointer)] = value;
    return doc;
  };
  // Not a network: a prefix too long, an address that is not one.
  EXPECT_TRUE(Refused(with("/audiences/0/networks/0", "203.0.113.0/33")).count("/audiences/0/networks/0"));
  EXPECT_TRUE(Refused(with("/audiences/0/networks/1", "2001:db8::/129")).count("/audiences/0/networks/1"));
  EXPECT_TRUE(Refused(with("/audiences/1/networks/0", "198.51.100.300/24")).count("/audiences/1/networks/0"));
  // Bits beyond the prefix: a typo for either of two networks.
  auto bits = Refused(with("/audiences/0/networks/0", "203.0.113.7/24"));
  ASSERT_TRUE(bits.count("/audiences/0/networks/0"));
  EXPECT_NE(bits["/audiences/0/networks/0"].find("beyond its /24 prefix"), std::string::npos);
  EXPECT_TRUE(Refused(with("/audiences/0/networks/1", "2001:db8:100::1/48")).count("/audiences/0/networks/1"));
  // A network in two audiences, either way round, and within one.
  auto overlap = Refused(with("/audiences/1/networks/0", "203.0.0.0/16"));
  ASSERT_TRUE(overlap.count("/audiences/1/networks/0"));
  EXPECT_NE(overlap["/audiences/1/networks/0"].find("overlaps 203.0.113.0/24 of audience \"domestic\""), std::string::npos);
  EXPECT_TRUE(Refused(with("/audiences/1/networks/0", "2001:db8:100:7::/64")).count("/audiences/1/networks/0"));
  EXPECT_TRUE(Refused(with("/audiences/1/networks", {"198.51.100.0/24", "198.51.100.64/26"})).count("/audiences/1/networks/1"));
  // An id declared twice.
  EXPECT_TRUE(Refused(with("/audiences/1/id", "domestic")).count("/audiences/1/id"));
  // What the schema says: bounds, required members, no strangers.
  EXPECT_TRUE(Refused(with("/audiences/0/p95_ms", 0)).count("/audiences/0/p95_ms"));
  EXPECT_FALSE(Refused(with("/audiences/0/networks", json::array())).empty());
  EXPECT_FALSE(Refused(with("/audiences/0/colour", "blue")).empty());
  EXPECT_FALSE(Refused(with("/audiences/0/networks/0", std::string(44, '1'))).empty());
  json too_many = good;
  too_many["audiences"] = json::array();
  for (int i = 0; i < 33; ++i)
    too_many["audiences"].push_back({{"id", "a" + std::to_string(i)}, {"networks", {"10." + std::to_string(i) + ".0.0/16"}}, {"vantage", "v"}, {"p95_ms", 100}});
  EXPECT_TRUE(Refused(too_many).count("/audiences"));
  // IPv4 and IPv6 networks never overlap each other.
  json families = with("/audiences/0/networks", {"0.0.0.0/0"});
  families["/audiences/1/networks"_json_pointer] = {"::/0"};
  EXPECT_TRUE(CheckDocument(*Schemas(), "workload.json", families).ok());
}

TEST(WorkloadAudiences, ThePlacementsTheBrokerSetsAreNotTheClients) {
  EXPECT_NE(std::find(std::begin(kWorkloadReadOnly), std::end(kWorkloadReadOnly), std::string("audience_placements")), std::end(kWorkloadReadOnly));
}

}  // namespace
}  // namespace icb
