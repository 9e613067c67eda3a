// Which kind of document a file holds, judged by its content rather than its
// name: `icbroker validate` takes any of the demo catalog's files, a workload,
// a sample batch or a request body without being told which it is.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/status.h"
#include "broker/schema/validator.h"

namespace icb {

struct Recognition {
  std::string schema;                   // "provider.json"; empty: no schema declares any of its fields
  Status status;                        // the document checked against `schema`
  std::vector<std::string> also_valid;  // other document schemas it passes too
};

// The document schema the document passes whose declared top-level fields it
// uses most (fewest undeclared fields, then name, breaking ties); when it
// passes none, the one whose fields it uses most, with its violations.
Recognition RecogniseDocument(const SchemaSet& schemas, const nlohmann::json& doc);

}  // namespace icb
