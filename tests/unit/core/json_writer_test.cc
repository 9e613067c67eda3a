#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
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

TEST(JsonWriter, EscapesAcrossWordBoundaries) {
  // The clean-prefix scan reads eight bytes at a time: put each character
  // that needs escaping at every offset of a longer string.
  for (char special : {'"', '\\', '\n', '\x1f'}) {
    for (size_t at = 0; at < 20; ++at) {
      // UTF-8 after it passes through unescaped.
      std::string raw = std::string(at, 'a') + special + "b\xc3\xbc" + std::string(9, 'c');
      JsonWriter w;
      w.String(raw);
      EXPECT_EQ(nlohmann::json::parse(w.str()).get<std::string>(), raw) << "at " << at;
    }
  }
  JsonWriter w;
  w.BeginObject().Key("").String("").EndObject();
  EXPECT_EQ(w.str(), R"({"":""})");
}

TEST(JsonWriter, RoundedDecimals) {
  EXPECT_EQ(FormatDecimal(0.1333333333, 6), "0.133333");
  EXPECT_EQ(FormatDecimal(2.0 / 3, 6), "0.666667");
  EXPECT_EQ(FormatDecimal(0.2, 6), "0.2");
  EXPECT_EQ(FormatDecimal(100, 6), "100");
  EXPECT_EQ(FormatDecimal(-3.5, 6), "-3.5");
  EXPECT_EQ(FormatDecimal(0.000005, 6), "0.000005");
  EXPECT_EQ(FormatDecimal(-0.0000004, 6), "0");  // rounds to zero: no "-0"
  EXPECT_EQ(FormatDecimal(99.8958333, 4), "99.8958");
  EXPECT_EQ(FormatDecimal(1234.5678, 0), "1235");
  EXPECT_EQ(FormatDecimal(1e20, 6), "1e+20");  // too large to be exact: shortest form
  // The text names the double that rounding gives, and reads back to it.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1000, 1000);
  for (int i = 0; i < 10000; ++i) {
    double v = u(rng);
    EXPECT_EQ(std::stod(FormatDecimal(v, 6)), std::round(v * 1e6) / 1e6) << v;
  }
  JsonWriter w;
  w.BeginArray().Rounded(0.1234567).Rounded(std::nan("")).Rounded(2.5, 0).EndArray();
  EXPECT_EQ(w.str(), "[0.123457,null,3]");
  EXPECT_EQ(DecimalText(std::numeric_limits<double>::infinity()).view(), "null");
  EXPECT_EQ(DecimalText(0.5).view(), "0.5");
}

}  // namespace
}  // namespace icb
