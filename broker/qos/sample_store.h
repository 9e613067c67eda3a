// QoS samples in the Store. Layout, per provider / endpoint / vantage ("series") and UTC day:
//   icb:qos:d:SERIES:DAY   fixed 24-byte records, appended (raw samples)
//   icb:qos:s:SERIES:DAY   set of ms-within-day already stored
//   icb:qos:r:SERIES:DAY   the day rolled up per minute (qos/rollup.h), once its raw samples are past retention
//   icb:qos:days:SERIES    set of days with raw samples; icb:qos:rdays:SERIES the same for rollups
//   icb:qos:series:PROVIDER  set of "ENDPOINT:VANTAGE"
// where SERIES and PROVIDER are key groups (Store::KeyGroup): as they are
// on one server, hash tags ("{aws:api:seoul}") on a Redis Cluster, so a
// series' keys share a slot (a batch's records and seen set are written in
// one script) and the series spread over the masters.
// A month of 10-second samples of one series is 31 keys of ~200 KiB, read in
// one pipelined round trip (with the rollup keys of the same days: each day
// is either raw or rolled up). Ids never contain ':' (see ids.h).
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "broker/qos/metrics.h"
#include "broker/store/store.h"

namespace icb {

class SampleStore {
 public:
  explicit SampleStore(Store& store) : store_(store) {}

  struct AppendResult {
    long long accepted = 0;    // newly stored
    long long duplicates = 0;  // same provider, endpoint, vantage and ts as one stored before
  };
  // Atomic and durable: every sample or none.
  Result<AppendResult> Append(const std::vector<QosSample>& samples);

  // Every series of the provider with its data in [from, to): rolled-up
  // minutes that overlap it, then raw samples in it, ascending.
  Result<std::vector<Series>> Load(std::string_view provider, TimePoint from, TimePoint to);

  // How long samples are kept: raw, then rolled up per minute.
  struct Retention {
    std::chrono::hours raw{24 * 35};
    std::chrono::hours rolled_up{24 * 400};
  };
  // The oldest ts a new sample may have at `now`: a day is rolled up once
  // its samples are older than this, so none may arrive for it after.
  static TimePoint OldestAccepted(TimePoint now, const Retention& r) { return now - r.raw; }
  struct MaintainResult {
    size_t days_rolled_up = 0;
    size_t rollups_dropped = 0;  // past the rollup retention
    size_t samples_rolled_up = 0;
  };
  // Rolls up each of the provider's days whose samples are all past the raw
  // retention (oldest first; the raw day is replaced in the same atomic
  // write), and forgets rollups past theirs. At most `most_days` days per
  // call (call again while it rolls that many). Idempotent: brokers that
  // run it side by side write the same rollup.
  Result<MaintainResult> Maintain(std::string_view provider, TimePoint now, const Retention& retention, size_t most_days = 64);

  // The 24-byte record format (exposed for tests).
  static std::string Encode(const ProbeResult& s);
  static ProbeResult Decode(std::string_view record);
  static constexpr size_t kRecordSize = 24;

 private:
  Store& store_;
};

}  // namespace icb
