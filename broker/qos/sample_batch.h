// Checks and converts a sample batch body exactly as schemas/qos_sample_batch.json
// says, reporting every violation with its JSON pointer. Hand-written because
// the generic validator costs ~400 us per sample (a std::regex per field) and
// ingestion must take 10,000-sample batches at hundreds of thousands of
// samples per second. tests/unit/sample_batch_test.cc keeps it and the schema
// in agreement.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/model/qos.h"

namespace icb {

inline constexpr size_t kMaxSamplesPerBatch = 10000;

// From the request text, streaming (the ingestion path).
Result<std::vector<QosSample>> ParseSampleBatchText(std::string_view text);
// From a parsed document (offline tools, tests).
Result<std::vector<QosSample>> ParseSampleBatch(const nlohmann::json& body);

}  // namespace icb
