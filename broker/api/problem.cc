#include <nlohmann/json.hpp>

#include "broker/api/http.h"

namespace icb {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kAborted: return 409;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kUnsupported: return 415;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

namespace {

const char* Title(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "Invalid request";
    case StatusCode::kNotFound: return "Not found";
    case StatusCode::kAlreadyExists: return "Conflict";
    case StatusCode::kFailedPrecondition: return "Conflict";
    case StatusCode::kAborted: return "Conflict";
    case StatusCode::kPermissionDenied: return "Forbidden";
    case StatusCode::kUnauthenticated: return "Unauthorized";
    case StatusCode::kResourceExhausted: return "Request body too large";
    case StatusCode::kUnsupported: return "Unsupported media type";
    case StatusCode::kRateLimited: return "Too many requests";
    case StatusCode::kUnavailable: return "Service unavailable";
    case StatusCode::kDeadlineExceeded: return "Timed out";
    default: return "Internal error";
  }
}

}  // namespace

HttpResponse ProblemResponse(const Status& s) {
  nlohmann::json p;
  p["type"] = std::string("urn:icbroker:problem:") + StatusCodeName(s.code());
  p["title"] = Title(s.code());
  p["status"] = HttpStatusFor(s.code());
  p["detail"] = s.message();
  p["errors"] = nlohmann::json::array();
  for (const auto& e : s.errors()) p["errors"].push_back({{"pointer", e.pointer}, {"message", e.message}});
  HttpResponse r;
  r.status = HttpStatusFor(s.code());
  r.content_type = "application/problem+json";
  // Never throws: texts that echo client input are valid UTF-8 by now, and
  // anything that is not is replaced rather than turned into a 500.
  r.body = p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // RFC 6750: a 401 names the scheme the client should use.
  if (s.code() == StatusCode::kUnauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"icbroker\"");
  // RFC 9110: when to ask again (the rate limiter sets its own wait).
  if (s.code() == StatusCode::kRateLimited) r.headers.emplace_back("Retry-After", "5");
  return r;
}

HttpResponse TransportProblem(int http_status, std::string detail) {
  const char* type = http_status == 414 ? "uri-too-long" : "request-header-too-large";
  const char* title = http_status == 414 ? "URI too long" : "Request header fields too large";
  nlohmann::json p = {{"type", std::string("urn:icbroker:problem:") + type}, {"title", title}, {"status", http_status},
                      {"detail", std::move(detail)}, {"errors", nlohmann::json::array()}};
  HttpResponse r;
  r.status = http_status;
  r.content_type = "application/problem+json";
  r.body = p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("Connection", "close");
  return r;
}

}  // namespace icb
