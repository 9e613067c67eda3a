// The broker's log: one line per event on standard error, as text for a
// person at a terminal ("icbroker: message (key=value, ...)") or as JSON
// for a collector (`serve --log-format json`: {"ts", "level", "msg", and
// the fields}). Fields name what a line is about: the request (its
// request_id, echoed to the client in X-Request-Id), the operation and its
// step; a collector joins a client's complaint, a request and the
// operations it started by them.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace icb {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarn, kError };

struct LogField {
  std::string key, value;
};

class Logger {
 public:
  // Where a finished line goes (without its newline); thread-safe.
  using Write = std::function<void(std::string_view line)>;
  // To standard error, a line at a time.
  explicit Logger(LogFormat format = LogFormat::kText);
  Logger(LogFormat format, Write write) : format_(format), write_(std::move(write)) {}

  void Log(LogLevel level, std::string_view message, const std::vector<LogField>& fields = {}) const;
  // An informational line without fields: the broker's start and its
  // periodic summaries.
  void operator()(std::string_view message) const { Log(LogLevel::kInfo, message); }
  LogFormat format() const { return format_; }

 private:
  LogFormat format_;
  Write write_;
};

// What a line looks like in `format` at `ts_ms` (Unix milliseconds).
std::string FormatLogLine(LogFormat format, long long ts_ms, LogLevel level, std::string_view message, const std::vector<LogField>& fields);

}  // namespace icb
