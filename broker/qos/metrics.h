// The metric engine: availability, outages, MTTR, response time, backup
// compliance, scale time and coverage, exactly as reference/quality-criteria.md
// defines them (section 3 and the broker conventions a-j of section 10).
// Pure: no I/O, no clock. Times are UTC instants; the caller picks the window.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "broker/model/qos.h"

namespace icb {

// A stretch of one series' timeline, covered, and up or down (10.b): what
// its samples say once each sample's coverage is known.
struct CoverageRun {
  TimePoint start, end;  // [start, end)
  bool ok = false;
  bool operator==(const CoverageRun&) const = default;
};

// Latencies are kept to the microsecond: a sample's statistics are computed
// on whole microseconds, so raw samples and their rollups give the same mean
// and percentiles whatever order they are summed in.
inline long long LatencyMicros(double ms) { return std::llround(ms * 1000.0); }

// Successful probes' latencies of one minute, by value (a rollup's).
struct LatencyCount {
  TimePoint minute;  // the minute the probes were sent in
  long long micros = 0;
  unsigned count = 0;
  bool operator==(const LatencyCount&) const = default;
};

// Samples of one endpoint from one vantage point, ascending ts, unique ts.
// Older data may come rolled up (qos/rollup.h): its runs and latencies by
// minute, all before the first raw sample.
struct Series {
  std::string endpoint;
  std::string vantage;
  std::vector<ProbeResult> samples;
  std::vector<CoverageRun> runs = {};                // rolled up, ascending, disjoint
  std::vector<LatencyCount> latencies = {};  // rolled up, ascending minute
};

// Where a sample's coverage ends (10.b): at ts + interval, stretched to the
// next sample of its series if that comes within ts + 2 x interval, cut
// short by one that comes earlier. `next`: the next sample's ts, if any.
inline TimePoint CoverageEnd(const ProbeResult& sample, std::optional<TimePoint> next) {
  TimePoint end = sample.ts + sample.interval;
  if (next && (*next < end || *next <= sample.ts + 2 * sample.interval)) end = *next;
  return end;
}

struct MetricsInput {
  // Data should reach before the window (an outage that began earlier has its
  // full duration) and a little after it (to see whether one continues).
  std::vector<Series> series;
  std::vector<MaintenanceEvent> maintenance;
  std::vector<BackupEvent> backups;
  std::vector<ScaleEvent> scales;
  int maintenance_notice_days = 7;  // reference 10.f
};

struct Interval {
  TimePoint start, end;  // [start, end)
  bool operator==(const Interval&) const = default;
};

struct Outage {
  TimePoint start, end;      // the whole outage, possibly beyond the window
  double minutes = 0;        // its whole duration
  double minutes_in_window = 0;
  bool ended_in_window = false;  // counts for MTTR and maximum recovery here (10.h)
};

struct Distribution {
  size_t count = 0;
  std::optional<double> mean, p50, p95, p99, max;
};

struct Metrics {
  TimePoint from, to;
  double window_minutes = 0;
  double availability_percent = 100;
  double downtime_minutes = 0;   // provider-fault downtime counted (10.d, f)
  double excluded_minutes = 0;   // downtime inside timely announced maintenance (10.f)
  double partial_minutes = 0;    // failures seen by only some vantages: reported, not downtime (10.d)
  double coverage_percent = 0;   // 10.c
  std::vector<Outage> outages;   // those overlapping the window
  std::optional<double> mttr_minutes, max_recovery_minutes;
  Distribution response_ms;      // successful probes in the window, nearest-rank percentiles (3.5)
  std::optional<double> backup_compliance_percent;  // 3.3
  size_t backups_total = 0, backups_ok = 0;
  Distribution scale_minutes;    // scale requests in the window
  // The provider's counted downtime over all loaded data, for notices (10.j).
  std::vector<Outage> all_outages;
};

Metrics ComputeMetrics(const MetricsInput& input, TimePoint from, TimePoint to);

// Nearest rank: the value at rank ceil(p/100 * n) of the ascending values.
double NearestRank(const std::vector<double>& sorted, double p);

struct Notice {
  std::string kind;  // "outage" | "repeated"
  TimePoint at;
};
// Customer notices due (10.j) for outages, listed if `at` is in [from, to).
std::vector<Notice> NoticesDue(const std::vector<Outage>& outages, TimePoint from, TimePoint to);

}  // namespace icb
