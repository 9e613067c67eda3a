#include "broker/qos/sample_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <map>

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

std::string DataKey(const std::string& series, long long day) { return "icb:qos:d:" + series + ":" + std::to_string(day); }
std::string SeenKey(const std::string& series, long long day) { return "icb:qos:s:" + series + ":" + std::to_string(day); }
std::string SeriesSetKey(std::string_view provider) { return "icb:qos:series:" + std::string(provider); }

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
  Put<double>(r, 8, s.latency_ms ? *s.latency_ms : std::numeric_limits<double>::quiet_NaN());
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
  // Group by series and day so the script sees each key once.
  std::map<std::pair<std::string, long long>, AppendGroup> groups;
  std::map<std::string, std::string> series_sets;  // series id -> provider
  std::vector<std::pair<std::string, std::string>> set_adds;
  for (const auto& s : samples) {
    std::string series = SeriesId(s.provider, s.endpoint, s.vantage);
    long long day = DayOf(s.ts);
    auto [it, inserted] = groups.try_emplace({series, day});
    if (inserted) {
      it->second.seen_key = SeenKey(series, day);
      it->second.data_key = DataKey(series, day);
    }
    it->second.items.emplace_back(std::to_string(s.ts.time_since_epoch().count() - day * kDayMs), Encode(s));
    if (series_sets.emplace(series, s.provider).second) set_adds.emplace_back(SeriesSetKey(s.provider), s.endpoint + ":" + s.vantage);
  }
  std::vector<AppendGroup> list;
  list.reserve(groups.size());
  for (auto& [key, g] : groups) list.push_back(std::move(g));
  ICB_ASSIGN_OR_RETURN(long long appended, store_.AppendUnique(list, set_adds));
  return AppendResult{appended, static_cast<long long>(samples.size()) - appended};
}

Result<std::vector<Series>> SampleStore::Load(std::string_view provider, TimePoint from, TimePoint to) {
  std::vector<Series> out;
  if (to <= from) return out;
  ICB_ASSIGN_OR_RETURN(auto members, store_.SetMembers(SeriesSetKey(provider)));
  std::sort(members.begin(), members.end());
  const long long first = DayOf(from), last = DayOf(to - Millis(1));
  // One series per task: a month of 10 s probes is ~200 KiB per series-day,
  // and reading and decoding them in parallel uses both cores.
  auto load_series = [&](const std::string& member) -> Result<Series> {
    std::string series = std::string(provider) + ":" + member;
    std::vector<std::string> keys;
    for (long long d = first; d <= last; ++d) keys.push_back(DataKey(series, d));
    ICB_ASSIGN_OR_RETURN(auto values, store_.GetMany(keys));
    auto colon = member.find(':');
    Series s{member.substr(0, colon), member.substr(colon + 1), {}};
    size_t records = 0;
    for (const auto& v : values) records += v ? v->size() / kRecordSize : 0;
    s.samples.reserve(records);
    for (const auto& v : values) {
      if (!v) continue;
      std::string_view blob = *v;
      for (size_t at = 0; at + kRecordSize <= blob.size(); at += kRecordSize) {
        ProbeResult q = Decode(blob.substr(at, kRecordSize));
        if (q.ts >= from && q.ts < to) s.samples.push_back(q);
      }
    }
    // Records are in arrival order; late arrivals make a day's blob unsorted.
    auto by_ts = [](const ProbeResult& a, const ProbeResult& b) { return a.ts < b.ts; };
    if (!std::is_sorted(s.samples.begin(), s.samples.end(), by_ts)) std::sort(s.samples.begin(), s.samples.end(), by_ts);
    return s;
  };
  std::vector<std::future<Result<Series>>> tasks;
  for (const auto& m : members) tasks.push_back(std::async(members.size() > 1 ? std::launch::async : std::launch::deferred, load_series, m));
  Status first_error;
  for (auto& t : tasks) {
    auto r = t.get();
    if (!r.ok()) {
      if (first_error.ok()) first_error = r.status();
      continue;
    }
    if (!r->samples.empty()) out.push_back(std::move(r).value());
  }
  if (!first_error.ok()) return first_error;
  return out;
}

}  // namespace icb
