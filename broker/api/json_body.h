// What every route that takes or lists JSON shares: the one door for bodies
// (content type, then the bounded parse), list answers, and error pointers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/api/http.h"
#include "broker/core/status.h"
#include "broker/schema/json_input.h"

namespace icb {

struct ApiLimits {
  size_t document_body_bytes = 1 << 20;  // providers, SLAs, profiles, events, rank requests
  size_t sample_batch_bytes = 16 << 20;  // POST /v1/qos/samples: 10,000 samples with room for formatting
  JsonLimits json;                       // depth, string, array and object bounds of every JSON body
};

// {"name": [doc, doc, ...]} from stored JSON texts.
std::string ArrayOf(const std::string& name, const std::vector<std::string>& docs);
// 415 unless the body is declared JSON (application/json or application/*+json).
Status CheckJsonContentType(const HttpRequest& r);
// Every JSON body comes through here: bounded before any tree exists.
Result<nlohmann::json> JsonBody(const HttpRequest& r, const ApiLimits& limits);
// The status with `prefix` before each error's pointer.
Status PrefixPointers(const Status& s, const std::string& prefix);

}  // namespace icb
