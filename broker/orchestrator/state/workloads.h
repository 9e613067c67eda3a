// Workload documents: the one door (schema, then the typed form), then their
// references against the catalog, then stored. Placement is given at
// creation and changed afterwards only by operations.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"
#include "broker/orchestrator/engine/stored_record.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/store/store.h"

namespace icb {

// What the broker owns of a workload (its status, beside the customer's
// document): where it runs now, its state, the operation in progress, and
// which version of the document was last brought to the world. Only
// operations write it, as a versioned record: an operation starts by
// claiming it (operation empty -> its id) in the same write that creates
// the operation, so at most one runs per workload.
// An audience served away from the placement (a localize put it there).
struct AudiencePlacement {
  std::string provider;
  std::string url;  // where it serves that audience
  std::optional<TimePoint> since;
  // What the provider ran of the service before this audience borrowed
  // there: what its delocalize scales back to.
  int instances_before = 0;
  std::string operation;  // the localize that put it there
};

struct WorkloadStatus {
  std::string placement;
  std::string url;  // where it serves at its placement (what the detector probes); empty until placed
  std::optional<TimePoint> since;
  std::string state = "running";  // running | degraded | failing_over | unplaced | migrating | bursting
  std::string operation;          // in progress; empty: none
  std::string placed_digest;      // SpecDigest of the document the last place operation applied
  std::vector<std::string> drained;  // earlier placements, drained and kept
  std::map<std::string, AudiencePlacement> audience_placements;  // by audience id; the others are served at `placement`
  long long version = 0;             // of the record; 0: none stored
};

nlohmann::json WorkloadStatusToJson(const WorkloadStatus& s);
extern const RecordCodec<WorkloadStatus> kWorkloadStatusRecord;
inline Result<std::optional<WorkloadStatus>> GetWorkloadStatus(Store& store, std::string_view workload) {
  return GetRecord(store, kWorkloadStatusRecord, workload);
}
// The write that stores `s` over the version it was read at.
inline CasWrite WorkloadStatusWrite(std::string_view workload, const WorkloadStatus& s) { return RecordWrite(kWorkloadStatusRecord, workload, s); }
inline CasWrite WorkloadStatusDelete(std::string_view workload, const WorkloadStatus& s) { return RecordDelete(kWorkloadStatusRecord, workload, s); }
// Identifies a version of a workload document (the fields a customer sets).
std::string SpecDigest(const nlohmann::json& doc);

// Unknown profile or providers: NotFound (404) naming each pointer. Known
// providers without the adapter a role needs (compute at the placement, dns
// for the record, traffic_split for the split, object storage for data):
// InvalidArgument (400).
Status CheckWorkloadReferences(const CatalogSnapshot& catalog, const Workload& w);

class WorkloadCatalog {
 public:
  WorkloadCatalog(Catalog& catalog, Store& store, const Clock& clock) : catalog_(catalog), store_(store), clock_(clock) {}

  // Creates or replaces. Fields the broker sets (state, replica, operation)
  // are ignored; placement.since is the broker's. A different placement
  // than where it runs is FailedPrecondition (409): operations move it.
  Result<PutResult> Put(std::string_view id, nlohmann::json doc);
  // The document with the broker's fields from its status (JSON text).
  Result<std::string> Get(std::string_view id);
  Result<std::vector<std::string>> List();
  // A page of one tenant's by cursor (Catalog::ListPage), each with its status.
  Result<Catalog::Page> ListPage(std::string_view after, size_t limit, const TenantSpace& space);
  // FailedPrecondition (409) while an operation runs for it. What runs at
  // providers is left as it is (documented): deleting forgets the workload.
  Status Delete(std::string_view id);

 private:
  // The document as GET shows it: the broker's fields from its status and
  // replica records.
  nlohmann::json WithStatus(nlohmann::json doc, const std::optional<WorkloadStatus>& status,
                            const std::optional<ReplicaRecord>& replica) const;
  // The stored documents with their records, read in two round trips.
  Result<std::vector<std::string>> WithStatuses(std::vector<std::string> texts) const;

  Catalog& catalog_;
  Store& store_;
  const Clock& clock_;
};

}  // namespace icb
