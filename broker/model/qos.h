// Measured QoS: probe samples and provider events (reference sections 3, 10).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/model/documents.h"

namespace icb {

enum class ProbeError : unsigned char { kNone = 0, kTimeout, kConnect, kStatus, kBody };
std::string_view ProbeErrorName(ProbeError e);  // "" for kNone

// One probe's outcome; what the metric engine reads (40 bytes: a month of
// 10 s probes from 3 vantages is ~800,000 of them).
struct ProbeResult {
  TimePoint ts;
  Millis interval{0};
  std::optional<double> latency_ms;  // successful probes only
  int status = 0;
  bool ok = false;
  ProbeError error = ProbeError::kNone;
};

// A probe's outcome with the series it belongs to.
struct QosSample : ProbeResult {
  std::string provider;
  std::string endpoint;
  std::string vantage;
};

struct MaintenanceEvent {
  TimePoint announced_at, start, end;
};
struct BackupEvent {
  TimePoint at;
  bool scheduled = true;
  bool ok = false;
};
struct ScaleEvent {
  TimePoint requested_at, ready_at;
  std::string direction;
};
struct IncidentEvent {
  TimePoint start;
  std::optional<TimePoint> end;
  std::string summary;
};

// The broker's own check of an essential characteristic (observed evidence).
struct CharacteristicCheckEvent {
  TimePoint at;
  Characteristic characteristic = Characteristic::kOnDemandSelfService;
  bool passed = false;
  std::string detail;
};

struct ProviderEvent {
  std::string id;
  std::variant<MaintenanceEvent, BackupEvent, ScaleEvent, IncidentEvent, CharacteristicCheckEvent> body;
  // The time the event is filed under (maintenance start, backup at, scale
  // requested_at, incident start, check at).
  TimePoint At() const;
};

// From JSON that passed qos_sample_batch.json's sample definition / event.json.
Result<QosSample> SampleFromJson(const nlohmann::json& doc);
Result<ProviderEvent> EventFromJson(const nlohmann::json& doc);

}  // namespace icb
