// icbroker drill over files, with no broker: a catalog folder and the
// workloads' documents, planned by the same recovery planner a running
// broker's drills use (drills/drill.h). Nothing is contacted: no provider
// adapter is made, so each provider's room is what the command is told
// (--room PROVIDER=INSTANCES), else unbounded, and nothing has been
// measured (capacity from the SLA's scale_minutes, data and DNS switch 0,
// verify from the failover settings; each part's basis says so).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/status.h"
#include "broker/orchestrator/drills/drill.h"

namespace icb {

struct OfflineDrillInput {
  std::string catalog_dir;               // laid out like deploy/demo/
  std::vector<std::string> workload_files;  // workload documents; the file's name is the id when the document has none
  std::vector<std::string> providers;    // down together
  std::optional<TimePoint> at;
  std::map<std::string, int> room;       // instances each provider has room for; absent: unbounded
};

// The drill, or why the files do not make one (the file named).
Result<Drill> RunOfflineDrill(const OfflineDrillInput& in);

// The workload documents in `dir` (*.json, sorted), or `dir` itself when
// it is a file.
Result<std::vector<std::string>> WorkloadFilesIn(const std::string& dir);

}  // namespace icb
