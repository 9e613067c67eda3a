// The burst record of a workload (icb:workload:ID:burst): whether it is
// burst and where to. The burst controller (triggers/burst_controller.h)
// reads it to decide; the burst and scale_back kinds write it when they
// finish.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/orchestrator/engine/stored_record.h"

namespace icb {

struct BurstRecord {
  bool bursting = false;
  std::string source;      // the placement it burst from
  // Where instances are borrowed; set while not bursting, what a burst that
  // failed after borrowing left there, for a scale back to give back.
  std::string secondary;
  int instances_before = 0;  // what the secondary ran of the service before
  std::string operation;   // the burst or scale_back running or last run
  std::optional<TimePoint> since;        // burst since
  std::optional<TimePoint> calm_since;   // load below every threshold since (the cooldown)
  std::optional<TimePoint> not_before;   // a failed burst or scale back waits until then
  long long version = 0;
};

extern const RecordCodec<BurstRecord> kBurstRecord;

inline Result<std::optional<BurstRecord>> GetBurst(Store& store, std::string_view workload) { return GetRecord(store, kBurstRecord, workload); }
inline CasWrite BurstWrite(std::string_view workload, const BurstRecord& r) { return RecordWrite(kBurstRecord, workload, r); }

}  // namespace icb
