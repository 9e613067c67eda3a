// Cheap status results used across module boundaries instead of exceptions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace icb {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // malformed input or schema violation (HTTP 400)
  kNotFound,          // unknown id (404)
  kAlreadyExists,     // duplicate, e.g. an SLA version (409)
  kFailedPrecondition,
  kAborted,           // lost a compare-and-set race: read again and retry (409)
  kPermissionDenied,  // 401/403 from a provider; a caller's role that may not (403)
  kUnauthenticated,   // no valid API key (401)
  kUnavailable,       // store or provider unreachable; retryable (503)
  kDeadlineExceeded,  // timeout (504)
  kResourceExhausted, // body or batch too large (413)
  kUnsupported,       // unsupported media type (415)
  kRateLimited,       // a caller over its request rate (429, with Retry-After)
  kInternal,
};

const char* StatusCodeName(StatusCode code);

// At most this many FieldErrors are listed in one refusal: enough to act on,
// and bounded however bad a document is.
inline constexpr size_t kMaxListedErrors = 100;

// "1 schema violation", "7 schema violations", "250 schema violations (the
// first 100 listed)": a refusal's detail, whose count always matches what
// its errors list shows or says it leaves out.
std::string CountedErrors(size_t total, size_t listed, const std::string& one, const std::string& many);

// One violation inside a document, located by an RFC 6901 JSON pointer.
struct FieldError {
  std::string pointer;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::vector<FieldError> errors = {})
      : code_(code), message_(std::move(message)), errors_(std::move(errors)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& errors() const { return errors_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<FieldError> errors_;
};

inline Status InvalidArgument(std::string msg, std::vector<FieldError> errors = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(errors));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status AlreadyExists(std::string msg) { return Status(StatusCode::kAlreadyExists, std::move(msg)); }
inline Status Unavailable(std::string msg) { return Status(StatusCode::kUnavailable, std::move(msg)); }
inline Status Unauthenticated(std::string msg) { return Status(StatusCode::kUnauthenticated, std::move(msg)); }
inline Status PermissionDenied(std::string msg) { return Status(StatusCode::kPermissionDenied, std::move(msg)); }
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
inline Status Aborted(std::string msg) { return Status(StatusCode::kAborted, std::move(msg)); }
inline Status FailedPrecondition(std::string msg) { return Status(StatusCode::kFailedPrecondition, std::move(msg)); }

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define ICB_RETURN_IF_ERROR(expr)       \
  do {                                  \
    ::icb::Status icb_s_ = (expr);      \
    if (!icb_s_.ok()) return icb_s_;    \
  } while (0)

#define ICB_CONCAT_INNER(a, b) a##b
#define ICB_CONCAT(a, b) ICB_CONCAT_INNER(a, b)
#define ICB_ASSIGN_OR_RETURN(lhs, expr) ICB_ASSIGN_OR_RETURN_IMPL(ICB_CONCAT(icb_r_, __LINE__), lhs, expr)
#define ICB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

}  // namespace icb
