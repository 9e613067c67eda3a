#include "broker/core/status.h"

namespace icb {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid-argument";
    case StatusCode::kNotFound: return "not-found";
    case StatusCode::kAlreadyExists: return "already-exists";
    case StatusCode::kFailedPrecondition: return "failed-precondition";
    case StatusCode::kAborted: return "aborted";
    case StatusCode::kPermissionDenied: return "permission-denied";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kDeadlineExceeded: return "deadline-exceeded";
    case StatusCode::kResourceExhausted: return "resource-exhausted";
    case StatusCode::kUnsupported: return "unsupported-media-type";
    case StatusCode::kRateLimited: return "rate-limited";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = std::string(StatusCodeName(code_)) + ": " + message_;
  for (const auto& e : errors_) s += "\n  " + (e.pointer.empty() ? std::string("(root)") : e.pointer) + ": " + e.message;
  return s;
}

std::string CountedErrors(size_t total, size_t listed, const std::string& one, const std::string& many) {
  std::string out = std::to_string(total) + " " + (total == 1 ? one : many);
  if (listed < total) out += " (the first " + std::to_string(listed) + " listed)";
  return out;
}

}  // namespace icb
