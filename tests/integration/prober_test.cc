// The broker's own probes of a local HTTP server, on a manual clock: the
// samples they produce give metrics that match a hand computation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/qos/prober.h"
#include "broker/qos/service.h"
#include "tests/support/http_stub.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using std::chrono::seconds;

TEST(Prober, ProbesOfALocalServerBecomeMetrics) {
  testing::StubHttpServer server;
  auto store = NewMemoryStore();
  Catalog catalog(*store, *SchemaSet::LoadEmbedded());
  QosService qos(*store, catalog);
  int closed_port = testing::FreeTcpPort();  // nothing listens there
  json provider = {{"id", "lab"}, {"name", "Lab"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
                   {"endpoints", {{{"id", "web"}, {"url", server.url()}, {"probe", {{"interval_s", 10}, {"timeout_s", 2}, {"expect_body", "healthy"}}}},
                                  {{"id", "db"}, {"url", "tcp://127.0.0.1:" + std::to_string(server.port())}, {"probe", {{"interval_s", 30}}}},
                                  {{"id", "off"}, {"url", "tcp://127.0.0.1:" + std::to_string(closed_port)}, {"probe", {{"enabled", false}}}}}}};
  ASSERT_TRUE(catalog.PutProvider("lab", provider).ok());

  const TimePoint t0 = *ParseRfc3339("2026-11-01T00:00:00Z");
  ManualClock clock(t0);
  auto http = NewCpprestHttpClient();
  NetworkProbeRunner runner(*http);
  Scheduler scheduler(clock);
  Prober prober(scheduler, clock, runner, "lab-vantage", [&](const std::vector<QosSample>& s) { return qos.IngestSamples(s).status(); });
  prober.SetTargets(ProbeTargets(**catalog.Snapshot()));
  ASSERT_EQ(ProbeTargets(**catalog.Snapshot()).size(), 2u);  // "off" is disabled

  // 60 ticks of 10 s: the web endpoint answers 503 for ticks 20-22 and an
  // unexpected body at tick 30; everything else is healthy.
  for (int tick = 0; tick < 60; ++tick) {
    if (tick == 20) server.Answer(503, "maintenance");
    if (tick == 23) server.Answer(200, "healthy");
    if (tick == 30) server.Answer(200, "degraded");
    if (tick == 31) server.Answer(200, "healthy");
    EXPECT_EQ(scheduler.RunDue(), tick % 3 == 0 ? 2 : 1);  // db every third tick
    EXPECT_EQ(scheduler.NextDue(), clock.Monotonic() + seconds(10));
    clock.Advance(seconds(10));
  }
  // web: 60 probes; db (tcp, every 30 s): 20.
  auto m = json::parse(*qos.MetricsJson("lab", {{"from", "2026-11-01T00:00:00Z"}, {"to", "2026-11-01T00:10:00Z"}}));
  // Down: ticks 20-22 (200 s to 230 s) and tick 30 (300 s to 310 s) = 40 s, to the second.
  EXPECT_NEAR(m["downtime_minutes"].get<double>(), 40.0 / 60, 1e-6);  // answers carry minutes to 6 decimals
  ASSERT_EQ(m["outages"].size(), 2u);
  EXPECT_EQ(m["outages"][0]["start"], "2026-11-01T00:03:20Z");
  EXPECT_EQ(m["outages"][0]["end"], "2026-11-01T00:03:50Z");
  EXPECT_EQ(m["outages"][1]["start"], "2026-11-01T00:05:00Z");
  EXPECT_EQ(m["outages"][1]["end"], "2026-11-01T00:05:10Z");
  EXPECT_EQ(m["coverage_percent"], 100);
  EXPECT_EQ(m["response_ms"]["count"], 56 + 20);
  EXPECT_GT(m["response_ms"]["p50"].get<double>(), 0);
}

TEST(Prober, ConnectFailuresAndTimeoutsAreFailures) {
  auto http = NewCpprestHttpClient();
  NetworkProbeRunner runner(*http);
  int closed = testing::FreeTcpPort();
  ProbeTarget tcp{"p", "e", "tcp://127.0.0.1:" + std::to_string(closed), {}};
  QosSample s = runner.Run(tcp);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kConnect);
  ProbeTarget web{"p", "e", "http://127.0.0.1:" + std::to_string(closed) + "/", {}};
  s = runner.Run(web);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kConnect);
  testing::StubHttpServer server;
  server.Answer(302, "moved");  // the seed's "not accessible" example (reference 10.e)
  s = runner.Run({"p", "e", server.url(), {}});
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kStatus);
  EXPECT_EQ(s.status, 302);
  ProbeTarget accept_302{"p", "e", server.url(), {}};
  accept_302.settings.expect_status = {302};
  EXPECT_TRUE(runner.Run(accept_302).ok);
}

}  // namespace
}  // namespace icb
