#include "broker/orchestrator/engine/stored_record.h"

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

json OptionalTimeJson(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

std::optional<TimePoint> OptionalTimeFrom(const json& record, const char* field) {
  if (!record.contains(field) || !record[field].is_string()) return std::nullopt;
  return ParseRfc3339(record[field].get<std::string>());
}

}  // namespace icb
