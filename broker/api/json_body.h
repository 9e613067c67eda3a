// What every route that takes or lists JSON shares: the one door for bodies
// (content type, then the bounded parse), list answers, and error pointers.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/rate_limiter.h"
#include "broker/api/http.h"
#include "broker/core/paging.h"
#include "broker/core/status.h"
#include "broker/schema/json_input.h"

namespace icb {

struct ApiLimits {
  size_t document_body_bytes = 1 << 20;  // providers, SLAs, profiles, events, rank requests
  size_t sample_batch_bytes = 16 << 20;  // POST /v1/qos/samples: 10,000 samples with room for formatting
  JsonLimits json;                       // depth, string, array and object bounds of every JSON body
  // How long an identical rank request over unchanged evidence is answered
  // from the last answer (rank_memo.h); 0: never.
  std::chrono::milliseconds rank_answer_reuse{1000};
  // Requests a second per API key, and at once after a pause (when keys are
  // required): over it, 429 with Retry-After.
  RateLimit per_key{200, 400};
  // How often open event streams (GET /v1/events/stream) are handed what
  // the trail recorded since (event_feed.h).
  std::chrono::milliseconds events_every{500};
};

// {"name": [doc, doc, ...]} from stored JSON texts.
std::string ArrayOf(const std::string& name, const std::vector<std::string>& docs);
// {"name": [doc, ...], "next": cursor or null}: a page of a list (core/paging.h).
std::string PageOf(const std::string& name, const std::vector<std::string>& docs, const std::optional<std::string>& next);
// ?limit= of a list route: 1 to `most`; nullopt when absent or refused (an
// error appended, naming the bound).
std::optional<size_t> ParseLimit(const HttpRequest& r, size_t most, std::vector<FieldError>& errors);
// ?after= and ?limit= of a list paged by id; errors appended.
struct ListQuery {
  std::string after;  // "": from the first
  size_t limit = kMaxPageItems;
};
inline constexpr size_t kMaxCursorBytes = 128;
ListQuery ParseListQuery(const HttpRequest& r, std::vector<FieldError>& errors);

// 415 unless the body is declared JSON (application/json or application/*+json).
Status CheckJsonContentType(const HttpRequest& r);
// Every JSON body comes through here: bounded before any tree exists.
Result<nlohmann::json> JsonBody(const HttpRequest& r, const ApiLimits& limits);
// The status with `prefix` before each error's pointer.
Status PrefixPointers(const Status& s, const std::string& prefix);

}  // namespace icb
