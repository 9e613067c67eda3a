// The broker's own probes of a local HTTP server, on a manual clock and the
// real event loop: the samples they produce give metrics that match a hand
// computation.
#include <gtest/gtest.h>

#include <atomic>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/qos/asio_probe_runner.h"
#include "broker/qos/endpoint_prober.h"
#include "broker/qos/service.h"
#include "tests/support/eventually.h"
#include "tests/support/http_stub.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// Forwards to a runner and counts the answers it gave.
class AnswerCountingRunner final : public AsyncProbeRunner {
 public:
  explicit AnswerCountingRunner(AsyncProbeRunner& inner) : inner_(inner) {}
  void Start(std::shared_ptr<const ProbeTarget> target, Done done) override {
    inner_.Start(std::move(target), [this, done = std::move(done)](QosSample s) {
      done(std::move(s));
      ++answered_;
    });
  }
  int answered() const { return answered_.load(); }

 private:
  AsyncProbeRunner& inner_;
  std::atomic<int> answered_{0};
};

TEST(EndpointProber, ProbesOfALocalServerOnTheEventLoopBecomeMetrics) {
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
  auto loop = std::move(*NewAsioProbeRunner());
  AnswerCountingRunner runner(*loop);
  Scheduler scheduler(clock);
  std::atomic<int> stored{0};
  EndpointProber prober(scheduler, clock, runner, "lab-vantage", [&](const std::vector<QosSample>& s) {
    for (const auto& q : s) EXPECT_EQ(q.vantage, "lab-vantage");
    stored += static_cast<int>(s.size());
    return qos.IngestSamples(s).status();
  });
  prober.SetTargets(ProbeTargets(**catalog.Snapshot()));
  ASSERT_EQ(prober.size(), 2u);  // "off" is disabled

  // Ten simulated minutes in 1 s steps; each step's probes are answered
  // (on the loop, for real) before time moves on, and stored with their
  // batch (up to 250 ms of the manual clock later). The web endpoint answers
  // 503 from 200 s to 230 s and an unexpected body from 300 s to 310 s.
  // The steps fall at x.999 s, so they run exactly the slots of [0, 600 s)
  // wherever the endpoints' phases put them.
  int sent = 0;
  clock.Advance(std::chrono::milliseconds(999));
  for (int s = 0; s < 600; ++s) {
    if (s == 200) server.Answer(503, "maintenance");
    if (s == 230) server.Answer(200, "healthy");
    if (s == 300) server.Answer(200, "degraded");
    if (s == 310) server.Answer(200, "healthy");
    scheduler.RunDue();
    sent = static_cast<int>(prober.TakeStats().started) + sent;
    ASSERT_TRUE(testing::Eventually([&] { return runner.answered() == sent; })) << "step " << s;
    clock.Advance(seconds(1));
  }
  prober.SetTargets({});  // no more probes: only the last batch is due
  scheduler.RunDue();
  EXPECT_EQ(stored.load(), sent);
  // web: one probe per 10 s (60), db (tcp, every 30 s): 20; never two of
  // one endpoint in a window, whatever its phase.
  EXPECT_EQ(sent, 60 + 20);
  auto m = json::parse(*qos.MetricsJson("lab", {{"from", "2026-11-01T00:00:00Z"}, {"to", "2026-11-01T00:10:00Z"}}));
  // Down 30 s and 10 s: 40 s, to the second, wherever in its 10 s the web
  // endpoint's phase put its probes.
  EXPECT_NEAR(m["downtime_minutes"].get<double>(), 40.0 / 60, 1e-6);
  ASSERT_EQ(m["outages"].size(), 2u);
  auto at = [](const json& v) { return *ParseRfc3339(v.get<std::string>()); };
  EXPECT_EQ(at(m["outages"][0]["end"]) - at(m["outages"][0]["start"]), seconds(30));
  EXPECT_EQ(at(m["outages"][1]["end"]) - at(m["outages"][1]["start"]), seconds(10));
  EXPECT_EQ(at(m["outages"][1]["start"]) - at(m["outages"][0]["start"]), seconds(100));
  const auto offset = at(m["outages"][0]["start"]) - (t0 + seconds(200));
  EXPECT_GE(offset, seconds(0));
  EXPECT_LT(offset, seconds(11));
  EXPECT_EQ(m["response_ms"]["count"], 56 + 20);
  EXPECT_GT(m["response_ms"]["p50"].get<double>(), 0);
  // The server saw each probe once: 60 GETs and 20 connects.
  EXPECT_EQ(server.requests(), 60 + 20);
}

TEST(Prober, ConnectFailuresAndTimeoutsAreFailures) {
  auto http = NewCpprestHttpClient();
  NetworkProbeRunner runner(*http);
  int closed = testing::FreeTcpPort();
  ProbeTarget tcp{"p", "e", "tcp://127.0.0.1:" + std::to_string(closed), {}, ""};
  QosSample s = runner.Run(tcp);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kConnect);
  ProbeTarget web{"p", "e", "http://127.0.0.1:" + std::to_string(closed) + "/", {}, ""};
  s = runner.Run(web);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kConnect);
  testing::StubHttpServer server;
  server.Answer(302, "moved");  // the seed's "not accessible" example (reference 10.e)
  s = runner.Run({"p", "e", server.url(), {}, ""});
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.error, ProbeError::kStatus);
  EXPECT_EQ(s.status, 302);
  ProbeTarget accept_302{"p", "e", server.url(), {}, ""};
  accept_302.settings.expect_status = {302};
  EXPECT_TRUE(runner.Run(accept_302).ok);
}

}  // namespace
}  // namespace icb
