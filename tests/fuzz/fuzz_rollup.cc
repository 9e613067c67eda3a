// Stored rollups of a day of QoS samples (qos/rollup.h): whatever bytes the
// store holds, decoding answers a day's minutes or refuses them, never reads
// past them; what it answers encodes back to the same minutes, and the
// metric engine computes on it without fault.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/qos/metrics.h"
#include "broker/qos/rollup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr long long kDay = 20'402;  // 2025-11-10
  auto minutes = icb::DecodeRollupDay(kDay, std::string_view(reinterpret_cast<const char*>(data), size));
  if (!minutes.ok()) return 0;
  auto again = icb::DecodeRollupDay(kDay, icb::EncodeRollupDay(kDay, *minutes));
  if (!again.ok() || *again != *minutes) std::abort();
  icb::MetricsInput in;
  in.series.push_back({"api", "fuzz", {}});
  icb::AppendRollups(*minutes, in.series.back());
  if (!minutes->empty()) icb::EndRollups(minutes->back(), in.series.back());
  const icb::TimePoint from{icb::Millis(kDay * 86'400'000)};
  (void)icb::ComputeMetrics(in, from, from + std::chrono::hours(24));
  return 0;
}
