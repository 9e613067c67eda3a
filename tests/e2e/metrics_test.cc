// GET /metrics on the real binary: the text format as promtool (Debian's
// prometheus package) checks it, and the families counting what was just
// done to the broker: requests by route template, samples stored, Redis
// round trips, the leader's lease, the process.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

// The value of one series (its name and label set exactly as written), if
// the scrape has it.
std::optional<double> Value(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  return std::nullopt;
}

class MetricsTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(MetricsTest, AScrapePassesPromtoolAndCountsWhatWasDone) {
  testing::BrokerProcess broker({"--data-dir", dir_.path() + "/data", "--demo"}, dir_.path() + "/broker.log");
  ASSERT_TRUE(broker.Start()) << broker.Log();
  const int port = broker.port();
  ASSERT_EQ(HttpCall(port, "GET", "/v1/providers?limit=5").status, 200);
  ASSERT_EQ(HttpCall(port, "GET", "/v1/providers/hanbit-cloud").status, 200);
  ASSERT_EQ(HttpCall(port, "GET", "/no/such/route").status, 404);
  // Ten samples of a demo provider, one of them twice: nine stored.
  json batch = {{"samples", json::array()}};
  const TimePoint t0 = std::chrono::time_point_cast<Millis>(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days(1));
  for (int i = 0; i < 10; ++i)
    batch["samples"].push_back({{"provider", "hanbit-cloud"}, {"endpoint", "api"}, {"vantage", "v"},
                                {"ts", FormatRfc3339(t0 + std::chrono::seconds(10 * std::min(i, 8)))}, {"interval_s", 10}, {"ok", true},
                                {"latency_ms", 20}});
  auto pushed = HttpCall(port, "POST", "/v1/qos/samples", batch.dump());
  ASSERT_EQ(pushed.status, 202) << pushed.body;

  std::string scrape;
  // The runner takes the orchestrator's lease on its first pass.
  ASSERT_TRUE(testing::Eventually([&] {
    auto r = HttpCall(port, "GET", "/metrics");
    scrape = r.body;
    return r.status == 200 && Value(scrape, "icbroker_leader") == 1.0;
  })) << scrape;
  auto r = HttpCall(port, "GET", "/metrics");
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  scrape = r.body;

  EXPECT_GE(Value(scrape, "icbroker_leader_epoch").value_or(0), 1);
  EXPECT_EQ(Value(scrape, "icbroker_samples_ingested_total"), 9.0);
  EXPECT_GE(Value(scrape, "icbroker_http_request_duration_seconds_count{route=\"/v1/providers\",method=\"GET\",code=\"2xx\"}").value_or(0), 1);
  EXPECT_EQ(Value(scrape, "icbroker_http_request_duration_seconds_count{route=\"/v1/providers/{id}\",method=\"GET\",code=\"2xx\"}"), 1.0);
  EXPECT_EQ(Value(scrape, "icbroker_http_request_duration_seconds_count{route=\"unmatched\",method=\"other\",code=\"4xx\"}"), 1.0);
  EXPECT_EQ(Value(scrape, "icbroker_http_request_duration_seconds_count{route=\"/v1/qos/samples\",method=\"POST\",code=\"2xx\"}"), 1.0);
  // This scrape is being answered.
  EXPECT_EQ(Value(scrape, "icbroker_http_requests_in_flight"), 1.0);
  EXPECT_GT(Value(scrape, "icbroker_redis_round_trips_total").value_or(0), 0);
  EXPECT_EQ(Value(scrape, "icbroker_redis_errors_total"), 0.0);
  EXPECT_GT(Value(scrape, "process_resident_memory_bytes").value_or(0), 1e6);
  EXPECT_GT(Value(scrape, "process_open_fds").value_or(0), 3);
  for (const char* family : {"icbroker_operations_total", "icbroker_operation_duration_seconds", "icbroker_operation_step_duration_seconds",
                             "icbroker_probes_total", "icbroker_probe_duration_seconds", "icbroker_operations_in_flight"})
    EXPECT_NE(scrape.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  // No series names one object: no workload, operation or sample id.
  EXPECT_EQ(scrape.find("workload=\""), std::string::npos);
  EXPECT_EQ(scrape.find("operation=\""), std::string::npos);

  // Every query of the Grafana dashboard in deploy/ names families this
  // scrape declares (a histogram's series by their family).
  std::ifstream dashboard_file(std::string(ICB_SOURCE_DIR) + "/deploy/grafana/icbroker-dashboard.json");
  const json dashboard = json::parse(dashboard_file);
  const std::regex metric(R"(\b((?:icbroker|process)_[a-z0-9_]+))");
  int queries = 0;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel.value("targets", json::array())) {
      const std::string expr = target["expr"];
      ++queries;
      for (std::sregex_iterator m(expr.begin(), expr.end(), metric), end; m != end; ++m) {
        std::string name = (*m)[1];
        for (const char* suffix : {"_bucket", "_sum", "_count"})
          if (name.ends_with(suffix) && scrape.find("# TYPE " + name.substr(0, name.size() - std::string(suffix).size()) + " histogram") != std::string::npos)
            name.resize(name.size() - std::string(suffix).size());
        EXPECT_NE(scrape.find("# TYPE " + name + " "), std::string::npos) << panel["title"] << ": " << name;
      }
    }
  EXPECT_GE(queries, 15);

  const std::string file = dir_.path() + "/scrape.txt";
  std::ofstream(file) << scrape;
  auto [rc, out] = testing::RunShell("promtool check metrics < " + file + " 2>&1");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << out;
}

// --log-format json: every line of standard error is one JSON object with
// its time, level and message; a request's id comes back in X-Request-Id.
TEST_F(MetricsTest, JsonLogLinesAndRequestIds) {
  const std::string log = dir_.path() + "/json.log";
  testing::BrokerProcess broker({"--data-dir", dir_.path() + "/data", "--demo", "--log-format", "json"}, log);
  ASSERT_TRUE(broker.Start()) << broker.Log();
  auto answer = HttpCall(broker.port(), "GET", "/v1/providers/nobody", "", "application/json", "X-Request-Id: support-ticket-42\r\n");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.headers["x-request-id"], "support-ticket-42");
  EXPECT_EQ(json::parse(answer.body)["request_id"], "support-ticket-42");
  broker.Kill(SIGTERM);
  std::istringstream lines(broker.Log());
  int count = 0;
  bool listening = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto parsed = json::parse(line, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << line;
    EXPECT_TRUE(parsed.contains("ts") && parsed.contains("level") && parsed.contains("msg")) << line;
    listening |= parsed.value("msg", "").starts_with("listening on http://127.0.0.1:");
    ++count;
  }
  EXPECT_GE(count, 3);
  EXPECT_TRUE(listening) << broker.Log();
}

}  // namespace
}  // namespace icb
