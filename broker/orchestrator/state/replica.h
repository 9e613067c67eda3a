// The replica record of a workload (icb:workload:ID:replica): where the warm
// copy of its data sets is and the moment it represents (`verified_at`: when
// the inventory of the replication that verified it listed the source);
// lag_s = now - verified_at. Written by replication operations and the
// replicator (triggers/replicator.h); read by failover's sync_data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/engine/stored_record.h"

namespace icb {

struct ReplicaRecord {
  std::string provider;                 // where the verified copy is
  std::optional<TimePoint> verified_at; // the moment it represents
  std::string operation;                // the replication that verified it
  std::string target;                   // of the running or last started replication
  std::string running;                  // replication in progress; empty: none
  std::optional<TimePoint> last_started;
  std::optional<TimePoint> lag_event_for;  // verified_at an rpo_exceeded event was raised for
  long long version = 0;
};

extern const RecordCodec<ReplicaRecord> kReplicaRecord;

inline Result<std::optional<ReplicaRecord>> GetReplica(Store& store, std::string_view workload) {
  return GetRecord(store, kReplicaRecord, workload);
}
inline CasWrite ReplicaWrite(std::string_view workload, const ReplicaRecord& r) { return RecordWrite(kReplicaRecord, workload, r); }
// {provider, verified_at, lag_s} as GET /v1/workloads shows it; null before a first verified copy.
nlohmann::json ReplicaToJson(const std::optional<ReplicaRecord>& r, TimePoint now);

}  // namespace icb
