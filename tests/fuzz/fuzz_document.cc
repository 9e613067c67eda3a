// Documents through the one door: bounded parse, then the schema named by the
// first byte and the typed conversion (CheckDocument); one input in eight is
// recognised by its content first, as `icbroker validate` does. Nothing may crash,
// hang or run past the limits.
#include <cstdint>
#include <string_view>

#include "broker/catalog/catalog.h"
#include "broker/schema/json_input.h"
#include "broker/schema/recognise.h"
#include "broker/schema/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto schemas = *icb::SchemaSet::LoadEmbedded();
  static const char* kNames[] = {"provider.json", "sla.json", "profile.json", "rank_request.json", "compare_request.json",
                                 "event.json#/definitions/incident", "event.json#/definitions/maintenance", "adapter_s3.json",
                                 "workload.json", "failover_request.json", "workload_samples.json", "migration_request.json", "workload_migration_request.json", "key_request.json", "drill_request.json"};
  if (size == 0) return 0;
  const char* schema = kNames[data[0] % (sizeof kNames / sizeof kNames[0])];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto doc = icb::ParseJsonBounded(text, icb::JsonLimits{});
  if (!doc.ok()) return 0;
  if (data[0] % 8 == 7) {
    icb::Recognition r = icb::RecogniseDocument(*schemas, *doc);
    if (!r.schema.empty()) schema = r.schema.c_str();
    (void)icb::CheckDocument(*schemas, schema, *doc);
    return 0;
  }
  (void)icb::CheckDocument(*schemas, schema, *doc);
  return 0;
}
