// Per-minute rollups of one series' samples: what the metric engine needs of
// them and nothing more, so that raw samples can be forgotten after their
// retention and every figure (availability, outages, MTTR, notices,
// credits, response-time mean and percentiles) comes out the same from the
// rollups as from the samples, for windows that start and end on a minute
// (every month, in any time zone).
//
// Per minute: the runs its samples cover (reference 10.b: each sample's
// coverage, with the next sample known, merged where touching in the same
// state), where the last run would end if no later sample were known (what
// the raw samples give at the end of what is loaded), and the successful
// probes' latencies by value, to the microsecond.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/qos/metrics.h"

namespace icb {

struct MinuteRollup {
  TimePoint minute;
  std::vector<CoverageRun> runs;  // ascending, disjoint; may end after the minute
  // The last run's end when nothing after this minute is known (its last
  // sample's ts + interval); nullopt when that sample covers nothing.
  std::optional<TimePoint> alone_end;
  std::vector<std::pair<long long, unsigned>> latencies;  // microseconds, count; ascending
  bool operator==(const MinuteRollup&) const = default;
};

// The rollups of `samples` (ascending, distinct ts), given the ts of the
// series' sample after the last of them, if any.
std::vector<MinuteRollup> RollUp(const std::vector<ProbeResult>& samples, std::optional<TimePoint> next);

// One UTC day of them as bytes (LEB128 varints, deltas; version 1), and
// back. Decoding refuses anything that is not a day's rollup (Internal:
// the store is corrupt) rather than reading past it.
std::string EncodeRollupDay(long long day, const std::vector<MinuteRollup>& minutes);
Result<std::vector<MinuteRollup>> DecodeRollupDay(long long day, std::string_view bytes);

// Adds minutes (ascending, after what `series` holds) to a series' rolled-up
// runs and latencies.
void AppendRollups(const std::vector<MinuteRollup>& minutes, Series& series);
// Ends the series where its loaded data ends: when no raw sample follows
// the rollups, the last run ends as the raw samples would have it.
// `last`: the last minute appended.
void EndRollups(const MinuteRollup& last, Series& series);

}  // namespace icb
