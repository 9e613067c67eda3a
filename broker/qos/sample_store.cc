#include "broker/qos/sample_store.h"

#include "broker/qos/rollup.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <tuple>

namespace icb {

namespace {

constexpr long long kDayMs = 86'400'000;

long long DayOf(TimePoint t) {
  long long ms = t.time_since_epoch().count();
  return ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs;
}

std::string SeriesId(std::string_view provider, std::string_view endpoint, std::string_view vantage) {
  std::string s;
  s.reserve(provider.size() + endpoint.size() + vantage.size() + 2);
  s.append(provider).append(":").append(endpoint).append(":").append(vantage);
  return s;
}

// A series' keys share its key group (Store::KeyGroup): a day's records,
// its seen set and its listing are written together; on a Redis Cluster,
// series spread over the masters.
std::string DataKey(const Store& s, const std::string& series, long long day) { return "icb:qos:d:" + s.KeyGroup(series) + ":" + std::to_string(day); }
std::string SeenKey(const Store& s, const std::string& series, long long day) { return "icb:qos:s:" + s.KeyGroup(series) + ":" + std::to_string(day); }
std::string RollupKey(const Store& s, const std::string& series, long long day) { return "icb:qos:r:" + s.KeyGroup(series) + ":" + std::to_string(day); }
std::string DaysKey(const Store& s, const std::string& series) { return "icb:qos:days:" + s.KeyGroup(series); }
std::string RollupDaysKey(const Store& s, const std::string& series) { return "icb:qos:rdays:" + s.KeyGroup(series); }
// The provider's own group.
std::string SeriesSetKey(const Store& s, std::string_view provider) { return "icb:qos:series:" + s.KeyGroup(provider); }

// Raw records of a day, decoded, ascending ts (late arrivals are appended
// out of order).
std::vector<ProbeResult> DecodeDay(std::string_view blob, TimePoint from, TimePoint to) {
  std::vector<ProbeResult> out;
  out.reserve(blob.size() / SampleStore::kRecordSize);
  for (size_t at = 0; at + SampleStore::kRecordSize <= blob.size(); at += SampleStore::kRecordSize) {
    ProbeResult q = SampleStore::Decode(blob.substr(at, SampleStore::kRecordSize));
    if (q.ts >= from && q.ts < to) out.push_back(q);
  }
  auto by_ts = [](const ProbeResult& a, const ProbeResult& b) { return a.ts < b.ts; };
  if (!std::is_sorted(out.begin(), out.end(), by_ts)) std::sort(out.begin(), out.end(), by_ts);
  return out;
}

std::vector<long long> SortedDays(const std::vector<std::string>& members) {
  std::vector<long long> days;
  for (const auto& m : members) {
    try {
      days.push_back(std::stoll(m));
    } catch (...) {
      // not a day this code wrote: left alone
    }
  }
  std::sort(days.begin(), days.end());
  return days;
}

template <typename T>
void Put(std::string& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);
}
template <typename T>
T Get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

}  // namespace

// Layout (little-endian, as the host): ts ms int64 | latency ms double (NaN =
// none) | interval ms uint32 | status uint16 | ok uint8 | error uint8.
std::string SampleStore::Encode(const ProbeResult& s) {
  std::string r(kRecordSize, '\0');
  Put<int64_t>(r, 0, s.ts.time_since_epoch().count());
  // Kept to the microsecond (metrics.h, LatencyMicros), as its rollup keeps it.
  Put<double>(r, 8, s.latency_ms ? static_cast<double>(LatencyMicros(*s.latency_ms)) / 1000.0 : std::numeric_limits<double>::quiet_NaN());
  Put<uint32_t>(r, 16, static_cast<uint32_t>(s.interval.count()));
  Put<uint16_t>(r, 20, static_cast<uint16_t>(s.status));
  Put<uint8_t>(r, 22, s.ok ? 1 : 0);
  Put<uint8_t>(r, 23, static_cast<uint8_t>(s.error));
  return r;
}

ProbeResult SampleStore::Decode(std::string_view r) {
  ProbeResult s;
  s.ts = TimePoint(Millis(Get<int64_t>(r, 0)));
  double latency = Get<double>(r, 8);
  if (!std::isnan(latency)) s.latency_ms = latency;
  s.interval = Millis(Get<uint32_t>(r, 16));
  s.status = Get<uint16_t>(r, 20);
  s.ok = Get<uint8_t>(r, 22) != 0;
  s.error = static_cast<ProbeError>(Get<uint8_t>(r, 23));
  return s;
}

Result<SampleStore::AppendResult> SampleStore::Append(const std::vector<QosSample>& samples) {
  // One group per series and day, so the script sees each key once: the
  // samples in series and day order (indices, no copies), a group per run.
  std::vector<std::pair<long long, uint32_t>> order;  // (day, index)
  order.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) order.emplace_back(DayOf(samples[i].ts), static_cast<uint32_t>(i));
  auto series_of = [&](uint32_t i) { return std::tie(samples[i].provider, samples[i].endpoint, samples[i].vantage); };
  auto sort_key = [&](const std::pair<long long, uint32_t>& o) { return std::tuple_cat(series_of(o.second), std::tie(o.first, o.second)); };
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) { return sort_key(a) < sort_key(b); });
  std::vector<AppendGroup> groups;
  std::vector<std::pair<std::string, std::string>> set_adds;  // each series in its provider's set
  std::string series;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto [day, i] = order[k];
    const QosSample& s = samples[i];
    const bool new_series = k == 0 || series_of(order[k - 1].second) != series_of(i);
    if (new_series) {
      series = SeriesId(s.provider, s.endpoint, s.vantage);
      set_adds.emplace_back(SeriesSetKey(store_, s.provider), s.endpoint + ":" + s.vantage);
    }
    if (new_series || order[k - 1].first != day) {
      AppendGroup& g = groups.emplace_back();
      g.seen_key = SeenKey(store_, series, day);
      g.data_key = DataKey(store_, series, day);
      g.listed_in = {{DaysKey(store_, series), std::to_string(day)}};
    }
    groups.back().items.emplace_back(std::to_string(s.ts.time_since_epoch().count() - day * kDayMs), Encode(s));
  }
  ICB_ASSIGN_OR_RETURN(long long appended, store_.AppendUnique(groups, set_adds));
  return AppendResult{appended, static_cast<long long>(samples.size()) - appended};
}

Result<std::vector<Series>> SampleStore::Load(std::string_view provider, TimePoint from, TimePoint to) {
  std::vector<Series> out;
  if (to <= from) return out;
  ICB_ASSIGN_OR_RETURN(auto members, store_.SetMembers(SeriesSetKey(store_, provider)));
  std::sort(members.begin(), members.end());
  const long long first = DayOf(from), last = DayOf(to - Millis(1));
  // A month of 10 s probes is ~200 KiB per series-day: reading and
  // decoding them in two halves uses both cores.
  auto load_series = [&](const std::string& member) -> Result<Series> {
    std::string series = std::string(provider) + ":" + member;
    std::vector<std::string> keys;
    for (long long d = first; d <= last; ++d) keys.push_back(DataKey(store_, series, d));
    for (long long d = first; d <= last; ++d) keys.push_back(RollupKey(store_, series, d));
    ICB_ASSIGN_OR_RETURN(auto values, store_.GetMany(keys));
    const size_t days = static_cast<size_t>(last - first + 1);
    auto colon = member.find(':');
    Series s{member.substr(0, colon), member.substr(colon + 1), {}};
    // Each day is raw or rolled up; rolled-up days come first (they are
    // rolled up oldest first).
    std::optional<MinuteRollup> last_minute;
    for (size_t k = 0; k < days; ++k) {
      if (const auto& rolled = values[days + k]) {
        ICB_ASSIGN_OR_RETURN(auto minutes, DecodeRollupDay(first + static_cast<long long>(k), *rolled));
        std::erase_if(minutes, [&](const MinuteRollup& m) { return m.minute + std::chrono::minutes(1) <= from || m.minute >= to; });
        AppendRollups(minutes, s);
        if (!minutes.empty()) last_minute = minutes.back();
      } else if (const auto& raw = values[k]) {
        auto samples = DecodeDay(*raw, from, to);
        s.samples.insert(s.samples.end(), samples.begin(), samples.end());
      }
    }
    if (s.samples.empty() && last_minute) EndRollups(*last_minute, s);
    return s;
  };
  // The series split over at most two tasks (this thread and one more):
  // both cores for a month of one provider, never a thread per series.
  const size_t slices = std::min<size_t>(members.size(), 2);
  auto load_slice = [&](size_t slice) {
    std::vector<Result<Series>> loaded;
    for (size_t i = slice; i < members.size(); i += slices) loaded.push_back(load_series(members[i]));
    return loaded;
  };
  std::vector<std::future<std::vector<Result<Series>>>> tasks;
  for (size_t t = 1; t < slices; ++t) tasks.push_back(std::async(std::launch::async, load_slice, t));
  std::vector<std::vector<Result<Series>>> results;
  if (slices > 0) results.push_back(load_slice(0));
  for (auto& t : tasks) results.push_back(t.get());
  Status first_error;
  for (size_t i = 0; i < members.size(); ++i) {  // in the members' order
    auto& r = results[i % slices][i / slices];
    if (!r.ok()) {
      if (first_error.ok()) first_error = r.status();
      continue;
    }
    if (!r->samples.empty() || !r->runs.empty() || !r->latencies.empty()) out.push_back(std::move(r).value());
  }
  if (!first_error.ok()) return first_error;
  return out;
}

Result<SampleStore::MaintainResult> SampleStore::Maintain(std::string_view provider, TimePoint now, const Retention& retention,
                                                          size_t most_days) {
  MaintainResult result;
  // A day is rolled up once no sample may arrive for it (OldestAccepted),
  // nor for the two days after it that may hold the sample its last one's
  // coverage reaches to (10.b: two intervals of at most a day), with an
  // hour's margin for brokers' clocks.
  const long long raw_edge = (OldestAccepted(now, retention) - std::chrono::hours(24 * 2 + 1)).time_since_epoch().count();
  const long long rolled_edge = (now - retention.rolled_up).time_since_epoch().count();
  ICB_ASSIGN_OR_RETURN(auto members, store_.SetMembers(SeriesSetKey(store_, provider)));
  std::sort(members.begin(), members.end());
  for (const auto& member : members) {
    const std::string series = std::string(provider) + ":" + member;
    ICB_ASSIGN_OR_RETURN(auto raw_members, store_.SetMembers(DaysKey(store_, series)));
    ICB_ASSIGN_OR_RETURN(auto rolled_members, store_.SetMembers(RollupDaysKey(store_, series)));
    if (raw_members.empty() && rolled_members.empty()) {
      // Samples stored before days were listed: find their days once.
      const long long today = DayOf(now);
      const long long oldest = DayOf(now - retention.rolled_up - retention.raw) - 3;
      std::vector<std::string> keys;
      for (long long d = oldest; d <= today + 1; ++d) keys.push_back(DataKey(store_, series, d));
      ICB_ASSIGN_OR_RETURN(auto exists, store_.Exists(keys));
      WriteBatch listed;
      for (size_t k = 0; k < keys.size(); ++k) {
        if (!exists[k]) continue;
        raw_members.push_back(std::to_string(oldest + static_cast<long long>(k)));
        listed.SetAdd(DaysKey(store_, series), raw_members.back());
      }
      if (!listed.ops().empty()) ICB_RETURN_IF_ERROR(store_.Apply(listed).status());
    }
    for (long long day : SortedDays(raw_members)) {
      if ((day + 1) * kDayMs > raw_edge || result.days_rolled_up >= most_days) break;
      ICB_ASSIGN_OR_RETURN(auto blobs, store_.GetMany({DataKey(store_, series, day), DataKey(store_, series, day + 1), DataKey(store_, series, day + 2)}));
      const TimePoint day_start{Millis(day * kDayMs)}, day_end{Millis((day + 1) * kDayMs)};
      std::vector<ProbeResult> samples = blobs[0] ? DecodeDay(*blobs[0], day_start, day_end) : std::vector<ProbeResult>{};
      // The series' next sample after the day, for its last sample's coverage.
      std::optional<TimePoint> next;
      for (size_t k = 1; k < blobs.size() && !next; ++k) {
        if (!blobs[k]) continue;
        auto later = DecodeDay(*blobs[k], day_end, TimePoint::max());
        if (!later.empty()) next = later.front().ts;
      }
      WriteBatch batch;
      if (!samples.empty()) {
        batch.Set(RollupKey(store_, series, day), EncodeRollupDay(day, RollUp(samples, next)));
        batch.SetAdd(RollupDaysKey(store_, series), std::to_string(day));
      }
      batch.Delete(DataKey(store_, series, day)).Delete(SeenKey(store_, series, day)).SetRemove(DaysKey(store_, series), std::to_string(day));
      ICB_RETURN_IF_ERROR(store_.Apply(batch).status());
      ++result.days_rolled_up;
      result.samples_rolled_up += samples.size();
      rolled_members.push_back(std::to_string(day));
    }
    WriteBatch dropped;
    for (long long day : SortedDays(rolled_members)) {
      if ((day + 1) * kDayMs > rolled_edge) break;
      dropped.Delete(RollupKey(store_, series, day)).SetRemove(RollupDaysKey(store_, series), std::to_string(day));
      ++result.rollups_dropped;
    }
    if (!dropped.ops().empty()) ICB_RETURN_IF_ERROR(store_.Apply(dropped).status());
  }
  return result;
}

}  // namespace icb
