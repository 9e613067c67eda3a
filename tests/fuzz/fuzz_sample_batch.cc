// POST /v1/qos/samples bodies: the streaming batch reader behind the door.
#include <cstdint>
#include <string_view>

#include "broker/qos/sample_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)icb::ParseSampleBatchText(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
