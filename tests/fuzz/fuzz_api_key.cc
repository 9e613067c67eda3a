// API key texts (broker/auth/api_key_token.h): any input is refused or
// names a well-formed id, never a crash; a refusal never echoes the text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "broker/auth/api_key_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string token(reinterpret_cast<const char*>(data), size);
  auto id = icb::ApiKeyIdOf(token);
  if (!id.ok()) {
    // One of the fixed reasons, never the text itself.
    const std::string& m = id.status().message();
    bool known = false;
    for (const char* why : {"wrong length", "no icb_ prefix", "malformed id", "malformed secret", "checksum mismatch"})
      known = known || m == std::string("not an icbroker API key: ") + why;
    if (!known) std::abort();
    return 0;
  }
  if (!icb::IsApiKeyId(*id) || token.size() != icb::kApiKeyChars || token.compare(0, 4, "icb_") != 0) std::abort();
  return 0;
}
