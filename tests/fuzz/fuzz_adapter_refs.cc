// Provider documents' adapter references against the registry and a fixed
// credentials set: nothing may crash, and no refusal may quote a secret
// (that aborts, so the fuzzer reports it like a crash).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/ports/credentials.h"
#include "broker/schema/json_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto schemas = *icb::SchemaSet::LoadEmbedded();
  static const auto registry = [] {
    auto r = std::make_unique<icb::AdapterRegistry>(*schemas);
    icb::RegisterBuiltinAdapters(*r);
    return r;
  }();
  static const auto credentials = *icb::Credentials::FromJson(
      {{"lab-s3", {{"access_key", "FUZZ-ACCESS-KEY-1"}, {"secret_key", "FUZZ-SECRET-2-zzzz"}}},
       {"lab-dns", {{"api_key", "FUZZ-API-KEY-3"}}},
       {"odd", {{"secret_key", std::string(300, 'x') + "FUZZ-LONG-SECRET-4"}, {"api_key", 12345678}}}});
  auto doc = icb::ParseJsonBounded(std::string_view(reinterpret_cast<const char*>(data), size), icb::JsonLimits{});
  if (!doc.ok() || !schemas->Validate("provider.json", *doc).ok()) return 0;
  icb::Status s = icb::CheckAdapterRefs(*registry, *schemas, &credentials, *doc);
  const std::string all = s.ToString();
  for (const std::string& secret : credentials.Values()) {
    if (secret.size() < 8) continue;
    if (all.find(secret) != std::string::npos) std::abort();
    for (const auto& e : s.errors())
      if (e.message.find(secret) != std::string::npos || e.pointer.find(secret) != std::string::npos) std::abort();
  }
  return 0;
}
