// Workload documents: the one door (schema, then the typed form), then their
// references against the catalog, then stored. Placement is given at
// creation and changed afterwards only by operations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"

namespace icb {

// Unknown profile or providers: NotFound (404) naming each pointer. Known
// providers without the adapter a role needs (compute at the placement, dns
// for the record, traffic_split for the split, object storage for data):
// InvalidArgument (400).
Status CheckWorkloadReferences(const CatalogSnapshot& catalog, const Workload& w);

class WorkloadCatalog {
 public:
  WorkloadCatalog(Catalog& catalog, const Clock& clock) : catalog_(catalog), clock_(clock) {}

  // Creates or replaces. Fields the broker sets (state, replica, operation)
  // are ignored; placement.since is the broker's. A different placement
  // than the stored one is FailedPrecondition (409): operations move it.
  Result<PutResult> Put(std::string_view id, nlohmann::json doc);
  Result<std::string> Get(std::string_view id) { return catalog_.Get(Collection::kWorkloads, id); }
  Result<std::vector<std::string>> List() { return catalog_.List(Collection::kWorkloads); }
  Status Delete(std::string_view id) { return catalog_.Delete(Collection::kWorkloads, id); }

 private:
  Catalog& catalog_;
  const Clock& clock_;
};

}  // namespace icb
