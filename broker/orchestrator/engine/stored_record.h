// Typed versioned records: each record the orchestrator stores (an
// operation, a workload's status, replica, burst, a retained source, a
// manifest's head and progress) has one codec, its key and its JSON both
// ways, and is read and written through the functions here only: read with
// its version, parsed or refused as corrupt, written back by
// compare-and-set over the version it was read at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/store/store.h"

namespace icb {

// An optional moment in a record: RFC 3339 or null, and back (absent or
// not a date-time: none).
nlohmann::json OptionalTimeJson(const std::optional<TimePoint>& t);
std::optional<TimePoint> OptionalTimeFrom(const nlohmann::json& record, const char* field);

// T carries `long long version` (0: not stored).
template <typename T>
struct RecordCodec {
  const char* what;                           // names the record in errors ("workload status")
  std::string (*key)(std::string_view id);    // where the record of `id` lives
  nlohmann::json (*to_json)(const T&);
  Result<T> (*from_json)(const nlohmann::json&);  // may also throw nlohmann::json::exception on a wrong shape
};

// `stored` (the record of `id`) parsed; Internal when it does not parse as one.
template <typename T>
Result<T> ParseRecord(const RecordCodec<T>& codec, std::string_view id, const Versioned& stored) {
  const auto corrupt = [&](const std::string& why) {
    return Status(StatusCode::kInternal, std::string(codec.what) + " " + std::string(id) + ": stored record is corrupt (" + why + ")");
  };
  nlohmann::json j = nlohmann::json::parse(stored.value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not a JSON object");
  try {
    auto parsed = codec.from_json(j);
    if (!parsed.ok()) return corrupt(parsed.status().message());
    T record = std::move(*parsed);
    record.version = stored.version;
    return record;
  } catch (const nlohmann::json::exception& e) {
    return corrupt(e.what());
  }
}

// The record of `id` with its version; nullopt when none is stored;
// Internal when what is stored does not parse as one.
template <typename T>
Result<std::optional<T>> GetRecord(Store& store, const RecordCodec<T>& codec, std::string_view id) {
  ICB_ASSIGN_OR_RETURN(auto stored, store.GetVersioned(codec.key(id)));
  if (!stored) return std::optional<T>();
  ICB_ASSIGN_OR_RETURN(T record, ParseRecord(codec, id, *stored));
  return std::optional<T>(std::move(record));
}

// The records of `ids`, in their order, read in one round trip where the
// store can (a page of a list).
template <typename T>
Result<std::vector<std::optional<T>>> GetRecords(Store& store, const RecordCodec<T>& codec, const std::vector<std::string>& ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(codec.key(id));
  ICB_ASSIGN_OR_RETURN(auto stored, store.GetVersionedMany(keys));
  std::vector<std::optional<T>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!stored[i]) continue;
    ICB_ASSIGN_OR_RETURN(T record, ParseRecord(codec, ids[i], *stored[i]));
    out[i] = std::move(record);
  }
  return out;
}

// The compare-and-set that stores `record` over the version it was read at
// (0: a new record).
template <typename T>
CasWrite RecordWrite(const RecordCodec<T>& codec, std::string_view id, const T& record) {
  return CasWrite{codec.key(id), record.version, codec.to_json(record).dump(), {}, {}};
}

// The compare-and-set that deletes it, if still at the version it was read at.
template <typename T>
CasWrite RecordDelete(const RecordCodec<T>& codec, std::string_view id, const T& record) {
  return CasWrite{codec.key(id), record.version, std::nullopt, {}, {}};
}

}  // namespace icb
