#include "broker/qos/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace icb {

namespace {

using std::chrono::duration_cast;
using std::chrono::hours;

double Minutes(Millis d) { return static_cast<double>(d.count()) / 60000.0; }

// 10.b/10.c: a sample covers [ts, CoverageEnd); beyond that the gap is "no
// data". Rolled-up runs come first (they end where the raw samples begin).
// Touching runs in the same state are merged, so a month of probes that
// are mostly up becomes a handful of runs (the sweep below is then cheap).
std::vector<CoverageRun> SeriesSegments(const Series& s) {
  std::vector<CoverageRun> out = s.runs;
  for (size_t i = 0; i < s.samples.size(); ++i) {
    const ProbeResult& cur = s.samples[i];
    const TimePoint end = CoverageEnd(cur, i + 1 < s.samples.size() ? std::optional(s.samples[i + 1].ts) : std::nullopt);
    if (end <= cur.ts) continue;
    if (!out.empty() && out.back().end == cur.ts && out.back().ok == cur.ok) out.back().end = end;
    else out.push_back({cur.ts, end, cur.ok});
  }
  return out;
}

std::vector<Interval> Merge(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> out;
  for (const auto& i : v) {
    if (i.end <= i.start) continue;
    if (!out.empty() && i.start <= out.back().end) out.back().end = std::max(out.back().end, i.end);
    else out.push_back(i);
  }
  return out;
}

// a minus b; both merged and sorted.
std::vector<Interval> Subtract(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t j = 0;
  for (auto cur : a) {
    while (j < b.size() && b[j].end <= cur.start) ++j;
    size_t k = j;
    while (k < b.size() && b[k].start < cur.end) {
      if (b[k].start > cur.start) out.push_back({cur.start, b[k].start});
      cur.start = std::max(cur.start, b[k].end);
      ++k;
    }
    if (cur.start < cur.end) out.push_back(cur);
  }
  return out;
}

Millis OverlapWith(const std::vector<Interval>& v, TimePoint from, TimePoint to) {
  Millis total{0};
  for (const auto& i : v) {
    TimePoint s = std::max(i.start, from), e = std::min(i.end, to);
    if (e > s) total += e - s;
  }
  return total;
}

// Sweeps one endpoint's series: where every probing vantage fails, the
// endpoint is down (10.d); where some but not all fail, it is a partial
// (regional or path) fault.
void EndpointStates(const std::vector<const Series*>& series, std::vector<Interval>* down, std::vector<Interval>* partial,
                    std::vector<Interval>* covered) {
  struct Edge {
    TimePoint t;
    int probing, failing;  // deltas
  };
  std::vector<Edge> edges;
  for (const Series* s : series) {
    for (const auto& seg : SeriesSegments(*s)) {
      edges.push_back({seg.start, 1, seg.ok ? 0 : 1});
      edges.push_back({seg.end, -1, seg.ok ? 0 : -1});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.t < b.t; });
  int probing = 0, failing = 0;
  for (size_t i = 0; i < edges.size();) {
    TimePoint t = edges[i].t;
    for (; i < edges.size() && edges[i].t == t; ++i) {
      probing += edges[i].probing;
      failing += edges[i].failing;
    }
    if (i == edges.size()) break;
    TimePoint next = edges[i].t;
    if (probing > 0) {
      covered->push_back({t, next});
      if (failing == probing) down->push_back({t, next});
      else if (failing > 0) partial->push_back({t, next});
    }
  }
}

size_t RankIndex(size_t n, double p) {
  // ceil(p/100 * n), guarded so that 95 % of 20 is exactly rank 19.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n) - 1e-9));
  return std::clamp<size_t>(rank, 1, n) - 1;
}

// Percentiles by selection (nth_element), not a full sort: a month of probes
// is ~800,000 values.
Distribution Summarise(std::vector<double> values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  d.max = *std::max_element(values.begin(), values.end());
  auto at = [&](double p) {
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(RankIndex(values.size(), p));
    std::nth_element(values.begin(), nth, values.end());
    return *nth;
  };
  d.p50 = at(50);
  d.p95 = at(95);
  d.p99 = at(99);
  return d;
}

// The same on whole microseconds, summed exactly (latencies: LatencyMicros).
Distribution SummariseMicros(std::vector<long long> values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  const long long sum = std::accumulate(values.begin(), values.end(), 0LL);
  d.mean = static_cast<double>(sum) / static_cast<double>(values.size()) / 1000.0;
  d.max = static_cast<double>(*std::max_element(values.begin(), values.end())) / 1000.0;
  auto at = [&](double p) {
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(RankIndex(values.size(), p));
    std::nth_element(values.begin(), nth, values.end());
    return static_cast<double>(*nth) / 1000.0;
  };
  d.p50 = at(50);
  d.p95 = at(95);
  d.p99 = at(99);
  return d;
}

}  // namespace

double NearestRank(const std::vector<double>& sorted, double p) { return sorted[RankIndex(sorted.size(), p)]; }

Metrics ComputeMetrics(const MetricsInput& in, TimePoint from, TimePoint to) {
  Metrics m;
  m.from = from;
  m.to = to;
  m.window_minutes = Minutes(to - from);

  // Per endpoint: down where every probing vantage fails. The provider is down
  // where any of its endpoints is (the service is not fully accessible).
  std::map<std::string, std::vector<const Series*>> by_endpoint;
  for (const auto& s : in.series) by_endpoint[s.endpoint].push_back(&s);
  std::vector<Interval> down, partial, covered;
  for (const auto& [endpoint, series] : by_endpoint) EndpointStates(series, &down, &partial, &covered);
  down = Merge(std::move(down));
  covered = Merge(std::move(covered));
  partial = Subtract(Merge(std::move(partial)), down);

  // 10.f: maintenance announced at least the notice period ahead is excluded.
  std::vector<Interval> exempt;
  for (const auto& mw : in.maintenance) {
    if (mw.announced_at <= mw.start - duration_cast<Millis>(hours(24) * in.maintenance_notice_days)) exempt.push_back({mw.start, mw.end});
  }
  exempt = Merge(std::move(exempt));
  std::vector<Interval> counted = Subtract(down, exempt);

  m.downtime_minutes = Minutes(OverlapWith(counted, from, to));
  m.excluded_minutes = Minutes(OverlapWith(down, from, to)) - m.downtime_minutes;
  m.partial_minutes = Minutes(OverlapWith(partial, from, to));
  m.coverage_percent = m.window_minutes > 0 ? 100.0 * Minutes(OverlapWith(covered, from, to)) / m.window_minutes : 0;
  // 3.1: A = 100 x (1 - D/M); the denominator is the whole window (10.c: no data counts as up).
  m.availability_percent = m.window_minutes > 0 ? 100.0 * (1.0 - m.downtime_minutes / m.window_minutes) : 100.0;

  // 10.h: an outage is a maximal run of counted downtime.
  std::vector<double> recovered;
  for (const auto& run : counted) {
    Outage o{run.start, run.end, Minutes(run.end - run.start), 0, false};
    o.minutes_in_window = Minutes(OverlapWith({run}, from, to));
    o.ended_in_window = run.end > from && run.end <= to;
    m.all_outages.push_back(o);
    if (run.end > from && run.start < to) m.outages.push_back(o);
    if (o.ended_in_window) recovered.push_back(o.minutes);
  }
  if (!recovered.empty()) {
    m.mttr_minutes = std::accumulate(recovered.begin(), recovered.end(), 0.0) / static_cast<double>(recovered.size());
    m.max_recovery_minutes = *std::max_element(recovered.begin(), recovered.end());
  }

  // 3.5 / 10.g: response time over successful probes sent in the window
  // (rolled-up ones by the minute they were sent in).
  std::vector<long long> latencies;
  size_t total = 0;
  for (const auto& s : in.series) {
    total += s.samples.size();
    for (const auto& l : s.latencies) total += l.count;
  }
  latencies.reserve(total);
  for (const auto& s : in.series) {
    for (const auto& l : s.latencies)
      if (l.minute >= from && l.minute < to) latencies.insert(latencies.end(), l.count, l.micros);
    for (const auto& smp : s.samples)
      if (smp.ok && smp.latency_ms && smp.ts >= from && smp.ts < to) latencies.push_back(LatencyMicros(*smp.latency_ms));
  }
  m.response_ms = SummariseMicros(std::move(latencies));

  // 3.3 / 10.i: successful / (scheduled + ad-hoc attempted); a scheduled backup
  // that never ran is recorded as ok=false and stays in the denominator.
  for (const auto& b : in.backups) {
    if (b.at < from || b.at >= to) continue;
    ++m.backups_total;
    if (b.ok) ++m.backups_ok;
  }
  if (m.backups_total > 0) m.backup_compliance_percent = 100.0 * static_cast<double>(m.backups_ok) / static_cast<double>(m.backups_total);

  std::vector<double> scale;
  for (const auto& s : in.scales)
    if (s.requested_at >= from && s.requested_at < to) scale.push_back(Minutes(s.ready_at - s.requested_at));
  m.scale_minutes = Summarise(std::move(scale));
  return m;
}

std::vector<Notice> NoticesDue(const std::vector<Outage>& outages, TimePoint from, TimePoint to) {
  std::vector<Outage> sorted = outages;
  std::sort(sorted.begin(), sorted.end(), [](const Outage& a, const Outage& b) { return a.start < b.start; });
  std::vector<Notice> out;
  auto in_window = [&](TimePoint t) { return t >= from && t < to; };
  // "outage": any outage of 10 continuous minutes or more.
  for (const auto& o : sorted)
    if (o.minutes >= 10.0 && in_window(o.start)) out.push_back({"outage", o.start});
  // "repeated": each outage not yet in a group opens one with the outages that
  // start within 24 h of it; >= 2 of them totalling >= 15 minutes is a notice,
  // and those outages join no later group.
  std::vector<bool> grouped(sorted.size(), false);
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (grouped[i]) continue;
    std::vector<size_t> members;
    double total = 0;
    for (size_t j = i; j < sorted.size() && sorted[j].start < sorted[i].start + hours(24); ++j) {
      if (grouped[j]) continue;
      members.push_back(j);
      total += sorted[j].minutes;
    }
    if (members.size() >= 2 && total >= 15.0) {
      for (size_t j : members) grouped[j] = true;
      if (in_window(sorted[i].start)) out.push_back({"repeated", sorted[i].start});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Notice& a, const Notice& b) { return a.at < b.at; });
  return out;
}

}  // namespace icb
