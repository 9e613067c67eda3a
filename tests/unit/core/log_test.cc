// Log lines as text and as JSON, written by hand: fields in order, the
// reserved keys kept, bytes that are not UTF-8 replaced.
#include "broker/core/log.h"

#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace icb {
namespace {

// 2026-12-06T20:00:00.250Z
constexpr long long kAt = 1796587200250;

TEST(LogLine, TextForAPerson) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kAt, LogLevel::kInfo, "listening on http://127.0.0.1:8080", {}),
            "icbroker: listening on http://127.0.0.1:8080");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kAt, LogLevel::kWarn, "step failed", {{"operation", "op-1"}, {"step", "switch_dns"}}),
            "icbroker: warn: step failed (operation=op-1, step=switch_dns)");
}

TEST(LogLine, JsonForACollector) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kAt, LogLevel::kError, "request answered 503",
                          {{"request_id", "abc"}, {"route", "/v1/rank"}, {"msg", "not this one"}}),
            R"({"ts":"2026-12-06T20:00:00.250Z","level":"error","msg":"request answered 503","request_id":"abc","route":"/v1/rank"})");
  const std::string line = FormatLogLine(LogFormat::kJson, kAt, LogLevel::kInfo, "quote \" and \xff byte", {{"k", "a\nb"}});
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "quote \" and \xef\xbf\xbd byte");
  EXPECT_EQ(parsed["k"], "a\nb");
}

TEST(Logger, WritesOneLineAnEvent) {
  std::mutex mu;
  std::vector<std::string> lines;
  Logger log(LogFormat::kJson, [&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  log("started");
  log.Log(LogLevel::kWarn, "step failed", {{"operation", "op-1"}});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "started");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "warn");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["operation"], "op-1");
}

}  // namespace
}  // namespace icb
