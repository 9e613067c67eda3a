#include "broker/qos/sample_batch.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "broker/core/ids.h"
#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

Result<std::vector<QosSample>> ParseSampleBatch(const json& body) {
  std::vector<FieldError> errors;
  auto error = [&](std::string pointer, std::string message) {
    if (errors.size() < 100) errors.push_back({std::move(pointer), std::move(message)});  // enough to act on
  };
  if (!body.is_object()) return InvalidArgument("1 schema violation", {{"", "the batch must be an object {\"samples\": [...]}"}});
  for (const auto& [key, value] : body.items())
    if (key != "samples") error("", "unknown property \"" + key + "\"");
  auto list = body.find("samples");
  if (list == body.end()) error("", "missing required property \"samples\"");
  else if (!list->is_array()) error("/samples", "must be an array");
  else if (list->empty()) error("/samples", "must hold at least one sample");
  else if (list->size() > kMaxSamplesPerBatch) error("/samples", "holds " + std::to_string(list->size()) + " samples; at most 10000 per batch");
  if (!errors.empty()) return InvalidArgument(std::to_string(errors.size()) + " schema violation(s)", std::move(errors));

  std::vector<QosSample> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string at = "/samples/" + std::to_string(i);
    if (!item.is_object()) {
      error(at, "must be an object");
      continue;
    }
    QosSample s;
    bool have[6] = {false, false, false, false, false, false};  // provider endpoint vantage ts interval_s ok
    size_t before = errors.size();
    for (const auto& [key, v] : item.items()) {
      const std::string p = at + "/" + key;
      if (key == "provider" || key == "endpoint" || key == "vantage") {
        std::string* field = key == "provider" ? &s.provider : key == "endpoint" ? &s.endpoint : &s.vantage;
        have[key == "provider" ? 0 : key == "endpoint" ? 1 : 2] = true;
        if (!v.is_string() || !IsValidId(v.get_ref<const std::string&>())) error(p, "must be an id: 1-64 of a-z 0-9 . _ -, starting with a letter or digit");
        else *field = v.get<std::string>();
      } else if (key == "ts") {
        have[3] = true;
        std::optional<TimePoint> t;
        if (v.is_string()) t = ParseRfc3339(v.get_ref<const std::string&>());
        if (!t) error(p, "must be an RFC 3339 date-time with an offset");
        else s.ts = *t;
      } else if (key == "interval_s") {
        have[4] = true;
        if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 86400) error(p, "must be a number of seconds, more than 0 and at most 86400");
        else s.interval = Millis(std::max<long long>(1, std::llround(v.get<double>() * 1000)));
      } else if (key == "ok") {
        have[5] = true;
        if (!v.is_boolean()) error(p, "must be true or false");
        else s.ok = v.get<bool>();
      } else if (key == "latency_ms") {
        if (v.is_null()) continue;
        if (!v.is_number() || v.get<double>() < 0) error(p, "must be a non-negative number or null");
        else s.latency_ms = v.get<double>();
      } else if (key == "status") {
        if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 999) error(p, "must be an integer from 0 to 999");
        else s.status = v.get<int>();
      } else if (key == "error") {
        if (v.is_null()) continue;
        std::string e = v.is_string() ? v.get<std::string>() : "";
        if (e == "timeout") s.error = ProbeError::kTimeout;
        else if (e == "connect") s.error = ProbeError::kConnect;
        else if (e == "status") s.error = ProbeError::kStatus;
        else if (e == "body") s.error = ProbeError::kBody;
        else error(p, "must be one of timeout, connect, status, body or null");
      } else {
        error(at, "unknown property \"" + key + "\"");
      }
    }
    static constexpr const char* kRequired[] = {"provider", "endpoint", "vantage", "ts", "interval_s", "ok"};
    for (int k = 0; k < 6; ++k)
      if (!have[k]) error(at, std::string("missing required property \"") + kRequired[k] + "\"");
    if (errors.size() == before && s.ok && s.error != ProbeError::kNone) error(at + "/error", "a successful sample (ok true) has no error");
    if (errors.size() == before) out.push_back(std::move(s));
  }
  if (!errors.empty()) return InvalidArgument(std::to_string(errors.size()) + " invalid sample field(s)", std::move(errors));
  return out;
}

}  // namespace icb
