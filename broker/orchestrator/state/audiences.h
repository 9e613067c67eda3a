// What the broker keeps of a workload's audiences beside its status
// (icb:workload:ID:audiences): per audience, since when its latency at the
// placement has met its objective again while it is served away (the
// cooldown's start, durable so a broker taking over goes on from it), when
// a localize that failed may be tried again, and capacity a localize that
// failed after borrowing left at a provider, for a delocalize to give back.
// The localize controller (triggers/localize_controller.h) writes the
// cooldown; the localize and delocalize kinds write the rest when they end.
// Where an audience is served is in the workload's status
// (WorkloadStatus::audience_placements), which only operations write.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/orchestrator/engine/stored_record.h"
#include "broker/orchestrator/state/workload_cache.h"

namespace icb {

// What an audience's vantage measured of one provider over a window (the
// audience meter's reading, triggers/audience_meter.h; the latency trigger
// policy and the localize kind read it).
struct LatencyReading {
  size_t ok = 0, failed = 0;            // samples in the window
  std::optional<double> p95_ms;         // of the successful ones; none without one
  std::optional<TimePoint> oldest;      // the window's oldest sample, any outcome
  size_t failing = 0;                   // the newest samples that failed, in a row (a provider down for that vantage)
  // Enough successes for a p95 to mean something: one slow probe, or a
  // vantage that just began reporting, decides nothing.
  static constexpr size_t kEnough = 3;
  bool measured() const { return ok >= kEnough && p95_ms.has_value(); }
};

struct AudienceTrack {
  std::optional<TimePoint> calm_since;  // latency at the placement met again (or silent) since, while away
  std::optional<TimePoint> not_before;  // a failed localize or delocalize waits until then
  std::string borrowed_at;              // a failed localize's capacity left there; empty: none
  int instances_before = 0;             // what borrowed_at ran before
};

struct AudienceRecord {
  std::map<std::string, AudienceTrack> audiences;  // by audience id
  long long version = 0;
};

extern const RecordCodec<AudienceRecord> kAudienceRecord;

inline Result<std::optional<AudienceRecord>> GetAudiences(Store& store, std::string_view workload) {
  return GetRecord(store, kAudienceRecord, workload);
}
inline CasWrite AudiencesWrite(std::string_view workload, const AudienceRecord& r) { return RecordWrite(kAudienceRecord, workload, r); }

// The workloads of `set` that declare audiences, in its order, beside their
// ids (what a batched read of their records takes); pointers into `set`.
struct AudienceWorkloads {
  std::vector<const Workload*> workloads;
  std::vector<std::string> ids;
};
AudienceWorkloads WithAudiences(const WorkloadSet& set);

}  // namespace icb
