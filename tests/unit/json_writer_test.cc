#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "broker/core/json_writer.h"

namespace icb {
namespace {

TEST(JsonWriter, NestedContainersAndCommas) {
  JsonWriter w;
  w.BeginObject().Key("a").Int(1).Key("b").BeginArray().Number(0.5).Bool(true).Null().BeginObject().EndObject().EndArray();
  w.Key("c").String("x").EndObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":[0.5,true,null,{}],"c":"x"})");
}

TEST(JsonWriter, EscapesWhatJsonRequires) {
  static constexpr char kRaw[] = "q\" b\\ n\n t\t c\x01 ü";
  const std::string raw(kRaw, sizeof kRaw - 1);
  JsonWriter w;
  w.String(raw);
  EXPECT_EQ(w.str(), "\"q\\\" b\\\\ n\\n t\\t c\\u0001 ü\"");
  EXPECT_EQ(nlohmann::json::parse(w.str()).get<std::string>(), raw);
}

TEST(JsonWriter, NumbersRoundTripAndNonFiniteIsNull) {
  for (double v : {0.1, 99.95, 1.0 / 3, 1e-7, 123456789.0, -2.5}) {
    JsonWriter w;
    w.Number(v);
    EXPECT_EQ(nlohmann::json::parse(w.str()).get<double>(), v) << w.str();
  }
  JsonWriter w;
  w.BeginArray().Number(std::nan("")).Number(std::numeric_limits<double>::infinity()).Number(400).EndArray();
  EXPECT_EQ(w.str(), "[null,null,400]");
}

}  // namespace
}  // namespace icb
