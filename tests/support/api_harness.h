// The API wired to an in-memory store, a manual clock and the built-in
// policies: what the route tests drive.
#pragma once

#include <memory>

#include "broker/api/api.h"
#include "broker/core/time.h"

namespace icb::testing {

class ApiHarness {
 protected:
  explicit ApiHarness(const char* now, ApiLimits limits = {})
      : store_(NewMemoryStore()),
        catalog_(*store_, *SchemaSet::LoadEmbedded()),
        clock_(*ParseRfc3339(now)),
        qos_(*store_, catalog_),
        api_(*store_, catalog_, qos_, policies_, clock_, limits) {
    RegisterBuiltinPolicies(policies_);
  }

  std::unique_ptr<Store> store_;
  Catalog catalog_;
  PolicyRegistry policies_;
  ManualClock clock_;
  QosService qos_;
  Api api_;
};

}  // namespace icb::testing
