#include "broker/qos/rollup.h"

#include <cstdint>
#include <map>

namespace icb {

namespace {

constexpr long long kRollupMinuteMs = 60'000;
constexpr long long kRollupDayMs = 86'400'000;
constexpr unsigned char kVersion = 1;
// A run may reach two intervals past its minute (10.b), an interval at most
// a day: anything further is not a rollup this code wrote.
constexpr uint64_t kMaxRunReachMs = 3 * kRollupDayMs;

long long Ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint At(long long ms) { return TimePoint(Millis(ms)); }
long long RollupMinuteOf(TimePoint t) {
  const long long ms = Ms(t);
  return (ms >= 0 ? ms : ms - kRollupMinuteMs + 1) / kRollupMinuteMs;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  // nullopt past the end or on a varint longer than 64 bits.
  std::optional<uint64_t> Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && at_ < in_.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(in_[at_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return std::nullopt;
  }
  std::optional<unsigned char> Byte() {
    if (at_ >= in_.size()) return std::nullopt;
    return static_cast<unsigned char>(in_[at_++]);
  }
  bool AtEnd() const { return at_ == in_.size(); }

 private:
  std::string_view in_;
  size_t at_ = 0;
};

}  // namespace

std::vector<MinuteRollup> RollUp(const std::vector<ProbeResult>& samples, std::optional<TimePoint> next) {
  std::vector<MinuteRollup> out;
  std::map<long long, unsigned> latencies;  // of the minute being built
  const auto close_minute = [&] {
    if (out.empty()) return;
    for (const auto& [micros, count] : latencies) out.back().latencies.emplace_back(micros, count);
    latencies.clear();
  };
  for (size_t i = 0; i < samples.size(); ++i) {
    const ProbeResult& cur = samples[i];
    const TimePoint minute = At(RollupMinuteOf(cur.ts) * kRollupMinuteMs);
    if (out.empty() || out.back().minute != minute) {
      close_minute();
      out.push_back({minute, {}, std::nullopt, {}});
    }
    MinuteRollup& m = out.back();
    // The coverage of each sample exactly as the metric engine gives it from
    // raw samples (metrics.cc, SeriesSegments), merged within the minute.
    const TimePoint end = CoverageEnd(cur, i + 1 < samples.size() ? std::optional(samples[i + 1].ts) : next);
    if (end > cur.ts) {
      if (!m.runs.empty() && m.runs.back().end == cur.ts && m.runs.back().ok == cur.ok) m.runs.back().end = end;
      else m.runs.push_back({cur.ts, end, cur.ok});
    }
    const TimePoint alone = CoverageEnd(cur, std::nullopt);
    m.alone_end = alone > cur.ts ? std::optional(alone) : std::nullopt;
    if (cur.ok && cur.latency_ms) ++latencies[LatencyMicros(*cur.latency_ms)];
  }
  close_minute();
  return out;
}

std::string EncodeRollupDay(long long day, const std::vector<MinuteRollup>& minutes) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, minutes.size());
  long long previous_minute = day * (kRollupDayMs / kRollupMinuteMs) - 1;
  for (const auto& m : minutes) {
    const long long minute = RollupMinuteOf(m.minute);
    PutVarint(out, static_cast<uint64_t>(minute - previous_minute - 1));
    previous_minute = minute;
    long long cursor = Ms(m.minute);
    PutVarint(out, m.runs.size());
    for (const auto& r : m.runs) {
      PutVarint(out, static_cast<uint64_t>(Ms(r.start) - cursor));
      PutVarint(out, static_cast<uint64_t>(Ms(r.end) - Ms(r.start)));
      out.push_back(r.ok ? 1 : 0);
      cursor = Ms(r.end);
    }
    PutVarint(out, m.alone_end ? static_cast<uint64_t>(Ms(*m.alone_end) - Ms(m.minute)) + 1 : 0);
    PutVarint(out, m.latencies.size());
    long long previous = 0;
    for (const auto& [micros, count] : m.latencies) {
      PutVarint(out, static_cast<uint64_t>(micros - previous));
      PutVarint(out, count);
      previous = micros;
    }
  }
  return out;
}

Result<std::vector<MinuteRollup>> DecodeRollupDay(long long day, std::string_view bytes) {
  const auto corrupt = [day](const char* why) {
    return Internal("stored rollup of day " + std::to_string(day) + " is corrupt (" + why + ")");
  };
  Reader in(bytes);
  if (in.Byte() != kVersion) return corrupt("unknown version");
  auto n = in.Varint();
  if (!n || *n > kRollupDayMs / kRollupMinuteMs) return corrupt("minute count");
  std::vector<MinuteRollup> out;
  out.reserve(*n);
  const long long first_minute = day * (kRollupDayMs / kRollupMinuteMs);
  long long minute = first_minute - 1;
  for (uint64_t k = 0; k < *n; ++k) {
    auto gap = in.Varint();
    if (!gap || *gap >= static_cast<uint64_t>(kRollupDayMs / kRollupMinuteMs)) return corrupt("minute");
    minute += static_cast<long long>(*gap) + 1;
    if (minute >= first_minute + kRollupDayMs / kRollupMinuteMs) return corrupt("minute past the day");
    MinuteRollup m{At(minute * kRollupMinuteMs), {}, std::nullopt, {}};
    long long cursor = Ms(m.minute);
    const long long reach = Ms(m.minute) + static_cast<long long>(kMaxRunReachMs);
    auto runs = in.Varint();
    if (!runs || *runs > static_cast<uint64_t>(kRollupMinuteMs)) return corrupt("run count");
    for (uint64_t r = 0; r < *runs; ++r) {
      auto start = in.Varint();
      auto length = in.Varint();
      auto ok = in.Byte();
      if (!start || !length || !ok || *ok > 1 || *start > kMaxRunReachMs || *length == 0 || *length > kMaxRunReachMs) return corrupt("run");
      const long long s = cursor + static_cast<long long>(*start), e = s + static_cast<long long>(*length);
      if (e > reach) return corrupt("run past its reach");
      m.runs.push_back({At(s), At(e), *ok == 1});
      cursor = e;
    }
    auto alone = in.Varint();
    if (!alone || *alone > kMaxRunReachMs) return corrupt("end");
    if (*alone > 0) m.alone_end = At(Ms(m.minute) + static_cast<long long>(*alone) - 1);
    auto values = in.Varint();
    if (!values || *values > static_cast<uint64_t>(kRollupMinuteMs)) return corrupt("latency count");
    long long micros = 0;
    for (uint64_t v = 0; v < *values; ++v) {
      auto delta = in.Varint();
      auto count = in.Varint();
      // A latency is at most an hour (the sample schemas' bound).
      if (!delta || !count || *count == 0 || *count > static_cast<uint64_t>(kRollupMinuteMs) || *delta > 3'600'000'000ULL ||
          (v > 0 && *delta == 0))
        return corrupt("latency");
      micros += static_cast<long long>(*delta);
      if (micros > 3'600'000'000LL) return corrupt("latency");
      m.latencies.emplace_back(micros, static_cast<unsigned>(*count));
    }
    out.push_back(std::move(m));
  }
  if (!in.AtEnd()) return corrupt("bytes after the last minute");
  return out;
}

void AppendRollups(const std::vector<MinuteRollup>& minutes, Series& series) {
  for (const auto& m : minutes) {
    series.runs.insert(series.runs.end(), m.runs.begin(), m.runs.end());
    for (const auto& [micros, count] : m.latencies) series.latencies.push_back({m.minute, micros, count});
  }
}

void EndRollups(const MinuteRollup& last, Series& series) {
  // The last run holds the minute's last sample when it covers anything
  // (RollUp); its end was found with the sample after it, which the raw
  // samples loaded to here would not know either.
  if (last.alone_end && !series.runs.empty()) series.runs.back().end = *last.alone_end;
}

}  // namespace icb
