// Provider events (maintenance notices, backup runs, scale events, incidents),
// one hash per provider: icb:events:{provider} id -> JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/model/qos.h"
#include "broker/schema/validator.h"
#include "broker/store/store.h"

namespace icb {

class EventStore {
 public:
  EventStore(Store& store, const SchemaSet& schemas) : store_(store), schemas_(schemas) {}

  struct Added {
    bool created;
    std::string document;  // with its id
  };
  // An event without "id" gets one derived from its content, so a retried
  // POST stores it once. The same id with different content is 409.
  Result<Added> Add(std::string_view provider, const nlohmann::json& doc);

  // Stored JSON texts in time order (ProviderEvent::At), optionally one kind
  // and [from, to).
  Result<std::vector<std::string>> List(std::string_view provider, std::optional<std::string> kind,
                                        std::optional<TimePoint> from, std::optional<TimePoint> to);
  Result<std::vector<ProviderEvent>> Load(std::string_view provider);

 private:
  Store& store_;
  const SchemaSet& schemas_;
};

}  // namespace icb
