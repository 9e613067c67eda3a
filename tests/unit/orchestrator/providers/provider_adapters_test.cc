// The catalog's adapters: a provider adapter's own limit of calls in
// flight comes from its catalog entry, and a limit out of range is refused
// with the rest of the document.
#include "broker/orchestrator/providers/provider_adapters.h"

#include <gtest/gtest.h>

#include "broker/schema/validator.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

class NoHttp final : public HttpClient {
 public:
  Result<HttpClientResponse> Send(const HttpClientRequest&) override { return Unavailable("no network in this test"); }
};

TEST(CatalogProviderAdapters, AnAdaptersCallLimitIsItsCatalogEntrys) {
  ManualClock clock(*ParseRfc3339("2026-12-01T00:00:00Z"));
  auto store = NewMemoryStore(&clock);
  auto schemas = SchemaSet::LoadEmbedded();
  Catalog catalog(*store, *schemas);
  nlohmann::json p = testing::ProviderDoc("sim-a");
  p["adapters"] = {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://127.0.0.11:8000"}}}, {"calls_in_flight", 3}}},
                   {"object_storage", {{"adapter", "file"}, {"config", {{"path", "/srv/sim-a"}}}}}};
  ASSERT_TRUE(catalog.PutProvider("sim-a", p).ok());
  AdapterRegistry registry(**schemas);
  NoHttp http;
  CatalogProviderAdapters adapters(catalog, registry, nullptr, AdapterContext{http, clock, [](Millis) {}, nullptr});
  EXPECT_EQ(adapters.CallLimit("sim-a", "compute"), 3);
  EXPECT_EQ(adapters.CallLimit("sim-a", "object_storage"), std::nullopt);  // the broker's default
  EXPECT_EQ(adapters.CallLimit("sim-a", "dns"), std::nullopt);
  EXPECT_EQ(adapters.CallLimit("nowhere", "compute"), std::nullopt);
  // 0 and more than 1,024 are not limits: the document is refused and the
  // stored one stays.
  for (int bad : {0, 1025}) {
    nlohmann::json q = p;
    q["adapters"]["compute"]["calls_in_flight"] = bad;
    EXPECT_EQ(catalog.PutProvider("sim-a", q).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(adapters.CallLimit("sim-a", "compute"), 3);
}

}  // namespace
}  // namespace icb
