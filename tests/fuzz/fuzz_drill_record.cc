// A drill as a broker answers it and as the store keeps it
// (drills/drill.h): `icbroker drill` reads whatever a broker sends, and
// GET /v1/drills/{id} what the store holds. Whatever the bytes, DrillFromJson
// answers a drill or refuses it, never faults; what it accepts is written
// back by DrillToJson and read again to the same drill, and each
// workload's verdict (readiness.h) is computed without fault.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "broker/orchestrator/drills/drill.h"
#include "broker/orchestrator/drills/readiness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto doc = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (doc.is_discarded()) return 0;
  auto drill = icb::DrillFromJson(doc);
  if (!drill.ok()) return 0;
  const nlohmann::json written = icb::DrillToJson(*drill);
  auto again = icb::DrillFromJson(nlohmann::json::parse(written.dump()));
  if (!again.ok() || icb::DrillToJson(*again) != written) std::abort();
  for (const auto& w : drill->workloads) (void)icb::VerdictOf(w);
  return 0;
}
