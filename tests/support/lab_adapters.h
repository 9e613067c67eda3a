// What the adapter integration tests build stores with: the built-in adapter
// registry, the real HTTP client and clock, and real (short) retry sleeps.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "broker/ports/registry.h"
#include "broker/api/http.h"

namespace icb::testing {

class LabAdapters {
 public:
  LabAdapters() : schemas_(*SchemaSet::LoadEmbedded()), registry_(*schemas_), http_(NewCpprestHttpClient()), ctx_{*http_, clock_, RealSleeper(), nullptr} {
    RegisterBuiltinAdapters(registry_);
  }
  template <typename Port>
  Result<std::unique_ptr<Port>> Create(const std::string& adapter, const nlohmann::json& config) {
    return registry_.Create<Port>(adapter, config, ctx_);
  }

 private:
  std::shared_ptr<const SchemaSet> schemas_;
  AdapterRegistry registry_;
  std::unique_ptr<HttpClient> http_;
  SystemClock clock_;
  AdapterContext ctx_;
};

}  // namespace icb::testing
