#include "broker/model/qos.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

std::string_view ProbeErrorName(ProbeError e) {
  switch (e) {
    case ProbeError::kNone: return "";
    case ProbeError::kTimeout: return "timeout";
    case ProbeError::kConnect: return "connect";
    case ProbeError::kStatus: return "status";
    case ProbeError::kBody: return "body";
  }
  return "";
}

TimePoint ProviderEvent::At() const {
  return std::visit(
      [](const auto& e) -> TimePoint {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, MaintenanceEvent>) return e.start;
        else if constexpr (std::is_same_v<T, BackupEvent>) return e.at;
        else if constexpr (std::is_same_v<T, ScaleEvent>) return e.requested_at;
        else if constexpr (std::is_same_v<T, CharacteristicCheckEvent>) return e.at;
        else return e.start;
      },
      body);
}

namespace {

Result<TimePoint> Time(const json& doc, const char* key) {
  auto t = ParseRfc3339(doc.at(key).get<std::string>());
  if (!t) return InvalidArgument("invalid date-time", {{std::string("/") + key, "not a valid RFC 3339 date-time"}});
  return *t;
}

}  // namespace

Result<QosSample> SampleFromJson(const json& doc) {
  QosSample s;
  s.provider = doc.at("provider").get<std::string>();
  s.endpoint = doc.at("endpoint").get<std::string>();
  s.vantage = doc.at("vantage").get<std::string>();
  ICB_ASSIGN_OR_RETURN(s.ts, Time(doc, "ts"));
  s.interval = Millis(static_cast<long long>(std::llround(doc.at("interval_s").get<double>() * 1000)));
  if (s.interval.count() <= 0) return InvalidArgument("interval too small", {{"/interval_s", "interval_s must be at least 0.001"}});
  s.ok = doc.at("ok").get<bool>();
  if (auto it = doc.find("latency_ms"); it != doc.end() && !it->is_null()) s.latency_ms = it->get<double>();
  if (auto it = doc.find("status"); it != doc.end()) s.status = it->get<int>();
  if (auto it = doc.find("error"); it != doc.end() && !it->is_null()) {
    std::string e = it->get<std::string>();
    s.error = e == "timeout" ? ProbeError::kTimeout : e == "connect" ? ProbeError::kConnect : e == "status" ? ProbeError::kStatus : ProbeError::kBody;
  }
  if (s.ok && s.error != ProbeError::kNone) return InvalidArgument("contradictory sample", {{"/error", "a successful sample (ok true) has no error"}});
  return s;
}

Result<ProviderEvent> EventFromJson(const json& doc) {
  ProviderEvent e;
  if (doc.contains("id")) e.id = doc["id"].get<std::string>();
  std::string kind = doc.at("kind").get<std::string>();
  if (kind == "maintenance") {
    MaintenanceEvent m;
    ICB_ASSIGN_OR_RETURN(m.announced_at, Time(doc, "announced_at"));
    ICB_ASSIGN_OR_RETURN(m.start, Time(doc, "start"));
    ICB_ASSIGN_OR_RETURN(m.end, Time(doc, "end"));
    if (m.end <= m.start) return InvalidArgument("empty window", {{"/end", "end must be after start"}});
    e.body = m;
  } else if (kind == "backup") {
    BackupEvent b;
    ICB_ASSIGN_OR_RETURN(b.at, Time(doc, "at"));
    b.scheduled = doc.at("scheduled").get<bool>();
    b.ok = doc.at("ok").get<bool>();
    e.body = b;
  } else if (kind == "scale") {
    ScaleEvent s;
    ICB_ASSIGN_OR_RETURN(s.requested_at, Time(doc, "requested_at"));
    ICB_ASSIGN_OR_RETURN(s.ready_at, Time(doc, "ready_at"));
    if (s.ready_at < s.requested_at) return InvalidArgument("ready before requested", {{"/ready_at", "ready_at is before requested_at"}});
    s.direction = doc.at("direction").get<std::string>();
    e.body = s;
  } else if (kind == "characteristic_check") {
    CharacteristicCheckEvent c;
    ICB_ASSIGN_OR_RETURN(c.at, Time(doc, "at"));
    c.characteristic = *CharacteristicFromName(doc.at("characteristic").get<std::string>());
    c.passed = doc.at("passed").get<bool>();
    c.detail = doc.value("detail", "");
    e.body = c;
  } else {
    IncidentEvent i;
    ICB_ASSIGN_OR_RETURN(i.start, Time(doc, "start"));
    if (doc.contains("end")) {
      ICB_ASSIGN_OR_RETURN(TimePoint end, Time(doc, "end"));
      if (end < i.start) return InvalidArgument("end before start", {{"/end", "end is before start"}});
      i.end = end;
    }
    i.summary = doc.at("summary").get<std::string>();
    e.body = i;
  }
  return e;
}

}  // namespace icb
