// The metric engine against hand computations (reference/quality-criteria.md).
#include <gtest/gtest.h>

#include <functional>

#include "broker/core/time.h"
#include "broker/qos/metrics.h"

namespace icb {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TimePoint T(const char* s) { return *ParseRfc3339(s); }

// Probes every `interval` over [from, to); `ok(t)` decides each sample.
Series Probes(const std::string& vantage, TimePoint from, TimePoint to, Millis interval, const std::function<bool(TimePoint)>& ok,
              const std::string& endpoint = "api") {
  Series s{endpoint, vantage, {}};
  for (TimePoint t = from; t < to; t += interval) {
    QosSample q;
    q.ts = t;
    q.interval = interval;
    q.ok = ok(t);
    if (q.ok) q.latency_ms = 100;
    s.samples.push_back(q);
  }
  return s;
}

std::function<bool(TimePoint)> DownDuring(TimePoint start, TimePoint end) {
  return [=](TimePoint t) { return t < start || t >= end; };
}

constexpr Millis kMinute = minutes(1);

TEST(Metrics, ReferenceWorkedExampleNovember2026) {
  // Section 10 worked example: November 2026, one 45-minute outage.
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-12-01T00:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("seoul", from, to, kMinute, DownDuring(T("2026-11-10T12:00:00Z"), T("2026-11-10T12:45:00Z"))));
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(m.window_minutes, 43200);
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 45);
  EXPECT_NEAR(m.availability_percent, 99.8958333333, 1e-9);  // 100 x (1 - 45/43,200)
  ASSERT_EQ(m.outages.size(), 1u);
  EXPECT_EQ(m.outages[0].start, T("2026-11-10T12:00:00Z"));
  EXPECT_EQ(m.outages[0].end, T("2026-11-10T12:45:00Z"));
  EXPECT_DOUBLE_EQ(*m.mttr_minutes, 45);
  EXPECT_DOUBLE_EQ(*m.max_recovery_minutes, 45);
  EXPECT_DOUBLE_EQ(m.coverage_percent, 100);
  auto notices = NoticesDue(m.all_outages, from, to);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].kind, "outage");
  EXPECT_EQ(notices[0].at, T("2026-11-10T12:00:00Z"));
}

TEST(Metrics, March2027TwoOutages) {
  // 3.1: March 2027, outages of 20 and 30 minutes -> 100 x (1 - 50/44,640) = 99.8880 %.
  TimePoint from = T("2027-03-01T00:00:00Z"), to = T("2027-04-01T00:00:00Z");
  MetricsInput in;
  auto a = DownDuring(T("2027-03-03T10:00:00Z"), T("2027-03-03T10:20:00Z"));
  auto b = DownDuring(T("2027-03-20T22:00:00Z"), T("2027-03-20T22:30:00Z"));
  in.series.push_back(Probes("v1", from, to, kMinute, [&](TimePoint t) { return a(t) && b(t); }));
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(m.window_minutes, 44640);
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 50);
  EXPECT_NEAR(m.availability_percent, 99.88799283, 1e-8);
  EXPECT_DOUBLE_EQ(*m.mttr_minutes, 25);
  EXPECT_DOUBLE_EQ(*m.max_recovery_minutes, 30);
}

TEST(Metrics, MonthLengths28And30And31) {
  // The same 40.32-minute outage is exactly the 99.9 % budget of a 28-day month (3.2)...
  for (auto [from, to, minutes_in_month] : {std::tuple{"2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", 40320.0},
                                            std::tuple{"2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 43200.0},
                                            std::tuple{"2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", 44640.0}}) {
    TimePoint f = T(from), t = T(to);
    TimePoint down = f + std::chrono::hours(24 * 5);
    MetricsInput in;
    // 40.32 minutes = 2419.2 s: probe every 0.1 s around it so the run is exact.
    in.series.push_back(Probes("v", f, t, seconds(60), [&](TimePoint) { return true; }));
    in.series[0].samples.erase(std::remove_if(in.series[0].samples.begin(), in.series[0].samples.end(),
                                              [&](const ProbeResult& s) { return s.ts >= down && s.ts < down + minutes(41); }),
                               in.series[0].samples.end());
    QosSample fail;
    fail.ts = down;
    fail.interval = Millis(2419200);
    fail.ok = false;
    QosSample back;
    back.ts = down + Millis(2419200);
    back.interval = minutes(1);
    back.ok = true;
    auto& v = in.series[0].samples;
    v.insert(std::find_if(v.begin(), v.end(), [&](const ProbeResult& s) { return s.ts > down; }), {fail, back});
    Metrics m = ComputeMetrics(in, f, t);
    EXPECT_DOUBLE_EQ(m.window_minutes, minutes_in_month) << from;
    EXPECT_NEAR(m.downtime_minutes, 40.32, 1e-9) << from;
    EXPECT_NEAR(m.availability_percent, 100.0 * (1 - 40.32 / minutes_in_month), 1e-9) << from;
  }
}

TEST(Metrics, FaultSeenByOneVantageIsNotDowntime) {
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-11-02T00:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("seoul", from, to, kMinute, DownDuring(T("2026-11-01T03:00:00Z"), T("2026-11-01T03:30:00Z"))));
  in.series.push_back(Probes("busan", from, to, kMinute, [](TimePoint) { return true; }));
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 0);
  EXPECT_DOUBLE_EQ(m.availability_percent, 100);
  EXPECT_DOUBLE_EQ(m.partial_minutes, 30);
  EXPECT_TRUE(m.outages.empty());
}

TEST(Metrics, DowntimeIsWhereEveryProbingVantageFails) {
  // seoul fails 03:00-03:30, busan 03:10-03:40: both fail 03:10-03:30 = 20 min;
  // 03:00-03:10 and 03:30-03:40 are partial.
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-11-02T00:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("seoul", from, to, kMinute, DownDuring(T("2026-11-01T03:00:00Z"), T("2026-11-01T03:30:00Z"))));
  in.series.push_back(Probes("busan", from, to, kMinute, DownDuring(T("2026-11-01T03:10:00Z"), T("2026-11-01T03:40:00Z"))));
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 20);
  EXPECT_DOUBLE_EQ(m.partial_minutes, 20);
  ASSERT_EQ(m.outages.size(), 1u);
  EXPECT_EQ(m.outages[0].start, T("2026-11-01T03:10:00Z"));
}

TEST(Metrics, AVantageWithoutDataIsNotProbing) {
  // busan stops reporting at 03:00 (no data); seoul fails 03:10-03:20: seoul
  // is the only vantage probing then, so that is downtime.
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-11-02T00:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("seoul", from, to, kMinute, DownDuring(T("2026-11-01T03:10:00Z"), T("2026-11-01T03:20:00Z"))));
  in.series.push_back(Probes("busan", from, T("2026-11-01T03:00:00Z"), kMinute, [](TimePoint) { return true; }));
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 10);
}

TEST(Metrics, LateProbeStretchesAndAGapIsNoData) {
  // 60 s probes, all failing. Samples at 00:00, 00:01, then 00:02:30 (late, within 2i:
  // 00:01 covers to 00:02:30), then 00:10 (gap > 2i: 00:02:30 covers only to 00:03:30),
  // then 00:11, and nothing after (00:11 covers to 00:12).
  TimePoint t0 = T("2026-11-01T00:00:00Z");
  Series s{"api", "v", {}};
  for (auto off : {seconds(0), seconds(60), seconds(150), seconds(600), seconds(660)}) {
    QosSample q;
    q.ts = t0 + off;
    q.interval = seconds(60);
    q.ok = false;
    s.samples.push_back(q);
  }
  MetricsInput in;
  in.series.push_back(s);
  Metrics m = ComputeMetrics(in, t0, t0 + std::chrono::hours(1));
  // Down 00:00-00:03:30 (3.5 min) and 00:10-00:12 (2 min); the gap is no data, counted as up.
  EXPECT_DOUBLE_EQ(m.downtime_minutes, 5.5);
  ASSERT_EQ(m.outages.size(), 2u);
  EXPECT_EQ(m.outages[0].end, t0 + seconds(210));
  EXPECT_DOUBLE_EQ(m.coverage_percent, 100.0 * 5.5 / 60);
}

TEST(Metrics, MaintenanceExcludedOnlyWithTimelyNotice) {
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-12-01T00:00:00Z");
  TimePoint start = T("2026-11-15T02:00:00Z"), end = T("2026-11-15T03:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("v", from, to, kMinute, DownDuring(start, end)));
  // Announced 10 days ahead: excluded (3.1: "adds nothing").
  in.maintenance = {{start - std::chrono::hours(24 * 10), start, end}};
  Metrics timely = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(timely.downtime_minutes, 0);
  EXPECT_DOUBLE_EQ(timely.excluded_minutes, 60);
  EXPECT_TRUE(timely.outages.empty());
  // Exactly the notice period ahead is still timely.
  in.maintenance = {{start - std::chrono::hours(24 * 7), start, end}};
  EXPECT_DOUBLE_EQ(ComputeMetrics(in, from, to).downtime_minutes, 0);
  // Announced 3 days ahead: 60 minutes of downtime.
  in.maintenance = {{start - std::chrono::hours(24 * 3), start, end}};
  Metrics late = ComputeMetrics(in, from, to);
  EXPECT_DOUBLE_EQ(late.downtime_minutes, 60);
  EXPECT_DOUBLE_EQ(late.excluded_minutes, 0);
  // With the SLA's own notice period of 3 days, the same notice is timely.
  in.maintenance_notice_days = 3;
  EXPECT_DOUBLE_EQ(ComputeMetrics(in, from, to).downtime_minutes, 0);
}

TEST(Metrics, OutageSpanningAMonthBoundary) {
  // 3.4: 2026-10-31 23:50 -> 2026-11-01 00:20: 10 min in October, 20 in
  // November; its 30-minute duration counts once, in November.
  TimePoint oct = T("2026-10-01T00:00:00Z"), nov = T("2026-11-01T00:00:00Z"), dec = T("2026-12-01T00:00:00Z");
  MetricsInput in;
  in.series.push_back(Probes("v", oct, dec, kMinute, DownDuring(T("2026-10-31T23:50:00Z"), T("2026-11-01T00:20:00Z"))));
  Metrics m_oct = ComputeMetrics(in, oct, nov);
  EXPECT_DOUBLE_EQ(m_oct.downtime_minutes, 10);
  EXPECT_FALSE(m_oct.mttr_minutes.has_value());
  ASSERT_EQ(m_oct.outages.size(), 1u);
  EXPECT_FALSE(m_oct.outages[0].ended_in_window);
  Metrics m_nov = ComputeMetrics(in, nov, dec);
  EXPECT_DOUBLE_EQ(m_nov.downtime_minutes, 20);
  EXPECT_DOUBLE_EQ(*m_nov.mttr_minutes, 30);
  ASSERT_EQ(m_nov.outages.size(), 1u);
  EXPECT_DOUBLE_EQ(m_nov.outages[0].minutes, 30);
  EXPECT_DOUBLE_EQ(m_nov.outages[0].minutes_in_window, 20);
  // Its notice is due in October, where it started.
  EXPECT_EQ(NoticesDue(m_oct.all_outages, oct, nov).size(), 1u);
  EXPECT_TRUE(NoticesDue(m_nov.all_outages, nov, dec).empty());
}

TEST(Metrics, BackupComplianceWithAdHocRuns) {
  // 3.3: 30 scheduled + 2 ad hoc, 31 successful -> 96.875 %.
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-12-01T00:00:00Z");
  MetricsInput in;
  for (int d = 0; d < 30; ++d) in.backups.push_back({from + std::chrono::hours(24 * d + 3), true, d != 17});
  in.backups.push_back({T("2026-11-05T12:00:00Z"), false, true});
  in.backups.push_back({T("2026-11-20T12:00:00Z"), false, true});
  in.backups.push_back({T("2026-12-01T03:00:00Z"), true, false});  // next month: not counted
  Metrics m = ComputeMetrics(in, from, to);
  EXPECT_EQ(m.backups_total, 32u);
  EXPECT_EQ(m.backups_ok, 31u);
  EXPECT_DOUBLE_EQ(*m.backup_compliance_percent, 96.875);
}

TEST(Metrics, ResponseTimeNearestRankOverSuccessesOnly) {
  // 3.5: 80..130, 300 ms and 2 timeouts -> mean 121.5, p50 100, p95 = p99 = 300.
  TimePoint t0 = T("2026-11-01T00:00:00Z");
  Series s{"api", "v", {}};
  int i = 0;
  for (double ms : {80, 85, 90, 95, 100, 105, 110, 120, 130, 300}) {
    QosSample q;
    q.ts = t0 + seconds(10 * i++);
    q.interval = seconds(10);
    q.ok = true;
    q.latency_ms = ms;
    s.samples.push_back(q);
  }
  for (int k = 0; k < 2; ++k) {
    QosSample q;
    q.ts = t0 + seconds(10 * i++);
    q.interval = seconds(10);
    q.ok = false;
    q.error = ProbeError::kTimeout;
    s.samples.push_back(q);
  }
  MetricsInput in;
  in.series.push_back(s);
  Metrics m = ComputeMetrics(in, t0, t0 + std::chrono::hours(1));
  EXPECT_EQ(m.response_ms.count, 10u);
  EXPECT_DOUBLE_EQ(*m.response_ms.mean, 121.5);
  EXPECT_DOUBLE_EQ(*m.response_ms.p50, 100);
  EXPECT_DOUBLE_EQ(*m.response_ms.p95, 300);
  EXPECT_DOUBLE_EQ(*m.response_ms.p99, 300);
}

TEST(Metrics, NearestRankIsExactOnWholeRanks) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  EXPECT_EQ(NearestRank(v, 95), 19);  // 0.95 x 20 = 19 exactly
  EXPECT_EQ(NearestRank(v, 50), 10);
  EXPECT_EQ(NearestRank(v, 99), 20);
  EXPECT_EQ(NearestRank({7}, 50), 7);
}

TEST(Metrics, ScaleTime) {
  TimePoint t0 = T("2026-11-01T00:00:00Z");
  MetricsInput in;
  in.scales = {{t0, t0 + seconds(270), "out"}, {t0 + std::chrono::hours(5), t0 + std::chrono::hours(5) + minutes(10), "up"}};
  Metrics m = ComputeMetrics(in, t0, t0 + std::chrono::hours(24));
  EXPECT_EQ(m.scale_minutes.count, 2u);
  EXPECT_DOUBLE_EQ(*m.scale_minutes.mean, 7.25);
  EXPECT_DOUBLE_EQ(*m.scale_minutes.max, 10);
}

Outage O(const char* start, double length_minutes) {
  TimePoint s = T(start);
  return {s, s + Millis(static_cast<long long>(length_minutes * 60000)), length_minutes, length_minutes, true};
}

TEST(Notices, RepeatedWithin24Hours) {
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-12-01T00:00:00Z");
  // 8 + 9 = 17 >= 15 within 24 h: one "repeated" notice at the first start; neither is >= 10.
  auto n = NoticesDue({O("2026-11-03T01:00:00Z", 8), O("2026-11-03T05:00:00Z", 9)}, from, to);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, "repeated");
  EXPECT_EQ(n[0].at, T("2026-11-03T01:00:00Z"));
  // 7 + 7 = 14 < 15: nothing.
  EXPECT_TRUE(NoticesDue({O("2026-11-03T01:00:00Z", 7), O("2026-11-03T05:00:00Z", 7)}, from, to).empty());
  // Exactly 24 h apart is not "within 24 hours".
  EXPECT_TRUE(NoticesDue({O("2026-11-03T01:00:00Z", 8), O("2026-11-04T01:00:00Z", 9)}, from, to).empty());
}

TEST(Notices, GroupsDoNotOverlapAndLongOutagesAlsoGetTheirOwn) {
  TimePoint from = T("2026-11-01T00:00:00Z"), to = T("2026-12-01T00:00:00Z");
  // A(8) at 00:00, B(12) at 20:00, C(5) at 30:00 (next day 06:00), D(11) at 40:00 (next day 16:00).
  // Group of A: A, B (C starts 30 h after A) -> 20 min: repeated at A. C opens
  // a group with D (10 h later): 16 min: repeated at C. B and D are >= 10: outage notices.
  auto n = NoticesDue({O("2026-11-10T00:00:00Z", 8), O("2026-11-10T20:00:00Z", 12), O("2026-11-11T06:00:00Z", 5),
                       O("2026-11-11T16:00:00Z", 11)},
                      from, to);
  ASSERT_EQ(n.size(), 4u);
  EXPECT_EQ(n[0].kind, "repeated");
  EXPECT_EQ(n[0].at, T("2026-11-10T00:00:00Z"));
  EXPECT_EQ(n[1].kind, "outage");
  EXPECT_EQ(n[1].at, T("2026-11-10T20:00:00Z"));
  EXPECT_EQ(n[2].kind, "repeated");
  EXPECT_EQ(n[2].at, T("2026-11-11T06:00:00Z"));
  EXPECT_EQ(n[3].kind, "outage");
}

}  // namespace
}  // namespace icb
