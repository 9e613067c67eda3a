#include "broker/core/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "broker/core/json_writer.h"
#include "broker/core/time.h"
#include "broker/core/utf8.h"

namespace icb {

namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kInfo:
      break;
  }
  return "info";
}

}  // namespace

Logger::Logger(LogFormat format)
    : format_(format), write_([](std::string_view line) {
        // One write per line: lines of different threads never interleave.
        static std::mutex mu;
        std::lock_guard lock(mu);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
        std::fflush(stderr);
      }) {}

void Logger::Log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) const {
  const long long now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  write_(FormatLogLine(format_, now, level, message, fields));
}

std::string FormatLogLine(LogFormat format, long long ts_ms, LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (format == LogFormat::kJson) {
    // Bytes that are not UTF-8 (a client's, in a message) are replaced.
    auto text = [](std::string_view v) { return IsValidUtf8(v) ? std::string(v) : ToValidUtf8(v); };
    JsonWriter line;
    line.BeginObject().Key("ts").String(FormatRfc3339(TimePoint(std::chrono::milliseconds(ts_ms)))).Key("level").String(LevelName(level));
    line.Key("msg").String(text(message));
    for (const auto& f : fields)
      if (f.key != "ts" && f.key != "level" && f.key != "msg") line.Key(text(f.key)).String(text(f.value));
    line.EndObject();
    return line.Take();
  }
  std::string out = "icbroker: ";
  if (level != LogLevel::kInfo) out += std::string(LevelName(level)) + ": ";
  out += message;
  for (size_t i = 0; i < fields.size(); ++i) out += (i == 0 ? " (" : ", ") + fields[i].key + "=" + fields[i].value;
  if (!fields.empty()) out += ")";
  return out;
}

}  // namespace icb
