// QoS samples in the Store. Layout, per provider / endpoint / vantage and UTC day:
//   icb:qos:d:{provider}:{endpoint}:{vantage}:{day}  fixed 24-byte records, appended
//   icb:qos:s:{provider}:{endpoint}:{vantage}:{day}  set of ms-within-day already stored
//   icb:qos:series:{provider}                        set of "{endpoint}:{vantage}"
// A month of 10-second samples of one series is 31 keys of ~200 KiB, read in
// one pipelined round trip. Ids never contain ':' (see ids.h).
#pragma once

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

  // Every series of the provider with its samples in [from, to), ascending ts.
  Result<std::vector<Series>> Load(std::string_view provider, TimePoint from, TimePoint to);

  // The 24-byte record format (exposed for tests).
  static std::string Encode(const ProbeResult& s);
  static ProbeResult Decode(std::string_view record);
  static constexpr size_t kRecordSize = 24;

 private:
  Store& store_;
};

}  // namespace icb
