// Per-minute rollups: the codec, and that every figure the API answers is
// the same once old samples are rolled up as it was from the samples.
#include "broker/qos/rollup.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/qos/sample_store.h"
#include "tests/support/api_harness.h"
#include "tests/support/test_docs.h"

namespace icb {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

ProbeResult Probe(const char* ts, int interval_s, bool ok, double latency_ms = 100) {
  ProbeResult p;
  p.ts = At(ts);
  p.interval = seconds(interval_s);
  p.ok = ok;
  if (ok) p.latency_ms = latency_ms;
  else p.error = ProbeError::kTimeout;
  return p;
}

long long DayNumber(const char* midnight) { return At(midnight).time_since_epoch().count() / 86'400'000; }

TEST(Rollup, RunsMergeWithinAMinuteAndReachTheNextSample) {
  // 20 s probes: two up, a down, a late one (stretched to the next), then a
  // gap longer than two intervals (no data) and one in the next minute.
  std::vector<ProbeResult> s = {Probe("2026-11-10T12:00:00Z", 20, true, 80.1234), Probe("2026-11-10T12:00:20Z", 20, true, 80.1234),
                                Probe("2026-11-10T12:00:40Z", 20, false), Probe("2026-11-10T12:01:15Z", 20, true, 120),
                                Probe("2026-11-10T12:03:00Z", 20, true, 90)};
  auto r = RollUp(s, At("2026-11-10T12:03:25Z"));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].minute, At("2026-11-10T12:00:00Z"));
  // The down probe at :40 is late-followed at 12:01:15 (35 s <= 40 s): it covers to it.
  EXPECT_EQ(r[0].runs, (std::vector<CoverageRun>{{At("2026-11-10T12:00:00Z"), At("2026-11-10T12:00:40Z"), true},
                                                 {At("2026-11-10T12:00:40Z"), At("2026-11-10T12:01:15Z"), false}}));
  EXPECT_EQ(r[0].alone_end, At("2026-11-10T12:01:00Z"));
  EXPECT_EQ(r[0].latencies, (std::vector<std::pair<long long, unsigned>>{{80123, 2}}));
  EXPECT_EQ(r[1].runs, (std::vector<CoverageRun>{{At("2026-11-10T12:01:15Z"), At("2026-11-10T12:01:35Z"), true}}));
  EXPECT_EQ(r[1].latencies, (std::vector<std::pair<long long, unsigned>>{{120000, 1}}));
  // The next sample (after the rolled-up samples) is 25 s later: stretched to it.
  EXPECT_EQ(r[2].runs, (std::vector<CoverageRun>{{At("2026-11-10T12:03:00Z"), At("2026-11-10T12:03:25Z"), true}}));
  EXPECT_EQ(r[2].alone_end, At("2026-11-10T12:03:20Z"));
}

TEST(Rollup, ADayRoundTripsThroughItsBytes) {
  std::vector<ProbeResult> s;
  for (int k = 0; k < 8640; ++k) {
    ProbeResult p;
    p.ts = At("2026-11-10T00:00:00Z") + seconds(10 * k) + Millis(k % 7);  // probes are not on whole seconds
    p.interval = seconds(10);
    p.ok = k % 97 != 0;
    if (p.ok) p.latency_ms = 80 + (k * 7919 % 22001) / 100.0;
    s.push_back(p);
  }
  s.erase(s.begin() + 4000, s.begin() + 4100);  // a gap
  auto minutes_of_day = RollUp(s, std::nullopt);
  const long long day = DayNumber("2026-11-10T00:00:00Z");
  std::string bytes = EncodeRollupDay(day, minutes_of_day);
  auto back = DecodeRollupDay(day, bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, minutes_of_day);
  // Far smaller than the samples' 24-byte records.
  EXPECT_LT(bytes.size(), s.size() * 8);
  auto empty = DecodeRollupDay(day, EncodeRollupDay(day, {}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Rollup, BytesThatAreNotADaysRollupAreRefused) {
  std::vector<ProbeResult> s = {Probe("2026-11-10T12:00:00Z", 60, true, 100), Probe("2026-11-10T12:01:00Z", 60, false),
                                Probe("2026-11-10T23:59:00Z", 60, true, 250.5)};
  const long long day = DayNumber("2026-11-10T00:00:00Z");
  const std::string good = EncodeRollupDay(day, RollUp(s, std::nullopt));
  ASSERT_TRUE(DecodeRollupDay(day, good).ok());
  // Every truncation, and anything after the end.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(DecodeRollupDay(day, good.substr(0, n)).ok()) << n;
  EXPECT_FALSE(DecodeRollupDay(day, good + '\0').ok());
  std::string version = good;
  version[0] = 2;
  EXPECT_EQ(DecodeRollupDay(day, version).status().code(), StatusCode::kInternal);
  // Two minutes: 23:59 (no runs, no end, no latencies), then one past the day.
  EXPECT_TRUE(DecodeRollupDay(day, std::string("\x01\x01\x9f\x0b\x00\x00\x00", 7)).ok());
  EXPECT_FALSE(DecodeRollupDay(day, std::string("\x01\x02\x9f\x0b\x00\x00\x00\x00\x00\x00\x00", 11)).ok());
  // A varint that never ends, and counts beyond a day's minutes.
  EXPECT_FALSE(DecodeRollupDay(day, std::string("\x01", 1) + std::string(20, '\xff')).ok());
  EXPECT_FALSE(DecodeRollupDay(day, std::string("\x01\xa1\x0b", 3)).ok());  // 1441 minutes
  // Every single byte changed: refused or read as some other valid rollup,
  // never past the bytes.
  for (size_t at = 0; at < good.size(); ++at) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string b = good;
      b[at] = static_cast<char>(v);
      auto r = DecodeRollupDay(day, b);
      if (!r.ok()) continue;
      for (const auto& m : *r) EXPECT_LT(m.minute, At("2026-11-11T00:00:00Z"));
    }
  }
}

// Five weeks of 30 s probes from two vantages of two providers, one billed
// in UTC and one in Seoul, with what the reference's cases have: an outage
// across the Seoul month edge, a fault only one vantage sees, a 45-minute
// outage, a late probe, a no-data gap across midnight, timeouts.
class RollupThroughTheApiTest : public ::testing::Test, protected testing::ApiHarness {
 protected:
  RollupThroughTheApiTest() : ApiHarness("2026-12-10T00:00:00Z") {
    for (const char* p : {"utc", "seoul"}) {
      EXPECT_EQ(Call("PUT", {"v1", "providers", p}, testing::ProviderDoc(p).dump()).status, 201);
      json sla = testing::SlaDoc("v1", "2026-01-01T00:00:00Z", {{"availability_percent", 99.9}, {"mttr_minutes", 60}, {"response_ms_p95", 290}});
      sla["credit_tiers"] = {{{"below_percent", 99.9}, {"credit_percent", 10}},
                             {{"below_percent", 99.5}, {"credit_percent", 20}},
                             {{"below_percent", 99.0}, {"credit_percent", 30}}};
      sla["monthly_fee"] = {{"amount", 1000}, {"currency", "KRW"}};
      if (std::string(p) == "seoul") sla["time_zone"] = "Asia/Seoul";
      EXPECT_EQ(Call("POST", {"v1", "providers", p, "slas"}, sla.dump()).status, 201);
    }
    for (const char* p : {"utc", "seoul"}) Push(p);
  }

  HttpResponse Call(const std::string& method, std::vector<std::string> path, const std::string& body = "",
                    std::map<std::string, std::string> query = {}) {
    HttpRequest r;
    r.method = method;
    r.path = std::move(path);
    r.query = std::move(query);
    r.body = body;
    if (method != "GET") r.headers["content-type"] = "application/json";
    return api_.Handle(r);
  }

  static bool Within(TimePoint t, const char* from, const char* to) { return t >= At(from) && t < At(to); }

  void Push(const std::string& provider) {
    std::vector<QosSample> batch;
    long long k = 0;
    for (TimePoint t = At("2026-10-29T00:00:00Z"); t < At("2026-12-03T00:00:00Z"); t += seconds(30), ++k) {
      if (Within(t, "2026-11-20T23:50:00Z", "2026-11-21T00:10:00Z")) continue;  // neither vantage: no data
      for (const char* vantage : {"seoul", "busan"}) {
        const bool busan = std::string(vantage) == "busan";
        if (busan && t == At("2026-11-25T10:00:30Z")) continue;  // late: the one before stretches
        QosSample s;
        s.provider = provider;
        s.endpoint = "api";
        s.vantage = vantage;
        s.ts = t;
        s.interval = seconds(30);
        s.ok = !Within(t, "2026-10-31T14:50:00Z", "2026-10-31T15:20:00Z") && !Within(t, "2026-11-10T12:00:00Z", "2026-11-10T12:45:00Z") &&
               !(!busan && Within(t, "2026-11-05T03:00:00Z", "2026-11-05T03:30:00Z")) &&
               !(busan && (t == At("2026-11-12T08:00:00Z") || t == At("2026-11-12T08:00:30Z")));
        if (s.ok) s.latency_ms = 80 + (k * 7919 % 22001) / 100.0 + (busan ? 0.5 : 0);
        else s.error = ProbeError::kTimeout;
        batch.push_back(std::move(s));
      }
      if (batch.size() >= 20000) {
        ASSERT_TRUE(SampleStore(*store_).Append(batch).ok());
        batch.clear();
      }
    }
    ASSERT_TRUE(SampleStore(*store_).Append(batch).ok());
  }

  // Every figure the routes answer for these windows, by name.
  std::map<std::string, std::string> Figures() {
    std::map<std::string, std::string> out;
    for (const char* p : {"utc", "seoul"}) {
      for (const char* month : {"2026-10", "2026-11", "2026-12"}) {
        auto m = Call("GET", {"v1", "providers", p, "metrics"}, "", {{"month", month}});
        EXPECT_EQ(m.status, 200) << m.body;
        out[std::string(p) + " metrics " + month] = m.body;
        auto s = Call("GET", {"v1", "providers", p, "sla-report"}, "", {{"month", month}});
        EXPECT_EQ(s.status, 200) << s.body;
        out[std::string(p) + " sla-report " + month] = s.body;
      }
      for (auto [from, to] : {std::pair{"2026-11-10T11:00:00Z", "2026-11-21T00:05:00Z"}, std::pair{"2026-10-31T15:00:00Z", "2026-10-31T15:10:00Z"},
                              std::pair{"2026-11-25T10:00:00Z", "2026-11-25T10:02:00Z"}}) {
        auto m = Call("GET", {"v1", "providers", p, "metrics"}, "", {{"from", from}, {"to", to}});
        EXPECT_EQ(m.status, 200) << m.body;
        out[std::string(p) + " metrics " + from + " " + to] = m.body;
      }
    }
    return out;
  }
};

TEST_F(RollupThroughTheApiTest, RollingUpChangesNoFigure) {
  const auto before = Figures();
  // Hand-computed from the samples (reference 3.2, 10.b, 10.c).
  auto utc = json::parse(before.at("utc metrics 2026-11"));
  EXPECT_EQ(utc["downtime_minutes"], 45);
  EXPECT_NEAR(utc["availability_percent"].get<double>(), 100.0 * (1 - 45.0 / 43200), 1e-8);  // 99.8958
  EXPECT_NEAR(utc["coverage_percent"].get<double>(), 100.0 * (1 - 20.0 / 43200), 1e-4);      // the 20-minute gap
  EXPECT_EQ(utc["mttr_minutes"], 45);
  // Two vantages' successes in November: 86,400 each, less the gap's 40, the
  // outage's 90, Seoul's 30-minute fault (60) and Busan's late probe and 2 timeouts.
  EXPECT_EQ(utc["response_ms"]["count"], (86400 - 40 - 90 - 60) + (86400 - 40 - 90 - 1 - 2));
  auto seoul = json::parse(before.at("seoul metrics 2026-11"));
  EXPECT_EQ(seoul["from"], "2026-10-31T15:00:00Z");
  EXPECT_EQ(seoul["downtime_minutes"], 65);  // 20 minutes of the outage across the edge, and 45
  EXPECT_NEAR(seoul["availability_percent"].get<double>(), 100.0 * (1 - 65.0 / 43200), 1e-8);
  auto utc_report = json::parse(before.at("utc sla-report 2026-11"));
  EXPECT_EQ(utc_report["credit_percent"], 10);
  EXPECT_EQ(utc_report["credit_amount"], 100);

  SampleStore samples(*store_);
  const SampleStore::Retention retention{hours(24 * 5), hours(24 * 1000)};
  const auto raw_key = [](const char* p, const char* day) { return std::string("icb:qos:d:") + p + ":api:seoul:" + std::to_string(DayNumber(day)); };
  const auto rollup_key = [](const char* p, const char* day) { return std::string("icb:qos:r:") + p + ":api:seoul:" + std::to_string(DayNumber(day)); };

  // Part of the way: days through 2026-11-06 rolled up (their samples and
  // the two days after them past the 5 days' retention), the rest raw.
  for (const char* p : {"utc", "seoul"}) {
    auto r = samples.Maintain(p, At("2026-11-15T00:00:00Z"), retention);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->days_rolled_up, 2u * 9);  // 2026-10-29 .. 2026-11-06, two vantages
    EXPECT_EQ(r->rollups_dropped, 0u);
    auto again = samples.Maintain(p, At("2026-11-15T00:00:00Z"), retention);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->days_rolled_up, 0u);
  }
  EXPECT_EQ(*store_->Exists({raw_key("utc", "2026-11-06T00:00:00Z"), rollup_key("utc", "2026-11-06T00:00:00Z"),
                              raw_key("utc", "2026-11-07T00:00:00Z"), rollup_key("utc", "2026-11-07T00:00:00Z")}),
            (std::vector<bool>{false, true, true, false}));
  auto part = Figures();
  for (const auto& [name, body] : before) EXPECT_EQ(part.at(name), body) << name;

  // Everything, a few days at a time.
  for (const char* p : {"utc", "seoul"}) {
    size_t rolled = 0;
    for (;;) {
      auto r = samples.Maintain(p, At("2026-12-20T00:00:00Z"), retention, 3);
      ASSERT_TRUE(r.ok()) << r.status().message();
      rolled += r->days_rolled_up;
      if (r->days_rolled_up < 3) break;
    }
    EXPECT_EQ(rolled, 2u * 26);  // 2026-11-07 .. 2026-12-02
  }
  EXPECT_EQ(*store_->Exists({raw_key("seoul", "2026-12-02T00:00:00Z"), rollup_key("seoul", "2026-12-02T00:00:00Z")}),
            (std::vector<bool>{false, true}));
  auto all = Figures();
  for (const auto& [name, body] : before) EXPECT_EQ(all.at(name), body) << name;

  // Past the rollups' retention they are forgotten.
  auto dropped = samples.Maintain("utc", At("2026-12-20T00:00:00Z"), {hours(24 * 5), hours(24 * 40)});
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->rollups_dropped, 2u * 12);  // the days ending by 2026-11-10
  EXPECT_EQ(*store_->Exists({rollup_key("utc", "2026-11-09T00:00:00Z"), rollup_key("utc", "2026-11-10T00:00:00Z")}),
            (std::vector<bool>{false, true}));
}

// The broker's QoS service keeps samples by its clock: one too old to be
// kept raw is refused (it would land in a day already rolled up), and
// KeepSamples rolls up every catalog provider's old days.
TEST_F(RollupThroughTheApiTest, ABrokerKeepingSamplesRefusesOnesPastTheRawRetention) {
  QosService keeping(*store_, catalog_, SampleKeeping{clock_, {hours(24 * 35), hours(24 * 400)}});
  Api api(*store_, catalog_, keeping, policies_, clock_);
  // The harness's clock: 2026-12-10T00:00:00Z; the oldest accepted is 35 days before.
  const auto post = [&](const char* ts) {
    json batch = {{"samples",
                   {{{"provider", "utc"}, {"endpoint", "api"}, {"vantage", "seoul"}, {"ts", "2026-12-09T00:00:00Z"}, {"interval_s", 30}, {"ok", true}},
                    {{"provider", "utc"}, {"endpoint", "api"}, {"vantage", "late"}, {"ts", ts}, {"interval_s", 30}, {"ok", true}}}}};
    HttpRequest r;
    r.method = "POST";
    r.path = {"v1", "qos", "samples"};
    r.headers["content-type"] = "application/json";
    r.body = batch.dump();
    return api.Handle(r);
  };
  auto refused = post("2026-11-04T23:59:59Z");
  EXPECT_EQ(refused.status, 400) << refused.body;
  auto problem = json::parse(refused.body);
  ASSERT_EQ(problem["errors"].size(), 1u) << refused.body;
  EXPECT_EQ(problem["errors"][0]["pointer"], "/samples/1/ts");
  EXPECT_NE(problem["errors"][0]["message"].get<std::string>().find("35 days"), std::string::npos) << refused.body;
  EXPECT_EQ(*store_->Exists({"icb:qos:days:utc:api:late"}), std::vector<bool>{false});  // nothing of the batch stored
  EXPECT_EQ(post("2026-11-05T00:00:00Z").status, 202);

  // Days ending by 2026-11-02T23:00 are rolled up: 2026-10-29 .. 2026-11-01
  // of two providers' two vantages, at most 2 series-days per provider a call.
  auto kept = keeping.KeepSamples(2);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->days_rolled_up, 2u * 2);
  for (;;) {
    auto more = keeping.KeepSamples(2);
    ASSERT_TRUE(more.ok());
    if (more->days_rolled_up == 0) break;
    kept->days_rolled_up += more->days_rolled_up;
  }
  EXPECT_EQ(kept->days_rolled_up, 2u * 2 * 4);
  // Without keeping (offline tools), nothing is rolled up.
  EXPECT_EQ(qos_.KeepSamples()->days_rolled_up, 0u);
}

}  // namespace
}  // namespace icb
