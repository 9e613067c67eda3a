// The router behind the HTTP seam with an in-memory store and the demo
// catalog: "METHOD TARGET\n" then the body. No answer to anything a client
// sends may be a 500.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <string_view>

#include "broker/api/api.h"
#include "broker/catalog/loader.h"
#include "broker/core/embedded.h"
#include "broker/core/time.h"
#include "broker/store/store.h"

namespace {

struct World {
  std::unique_ptr<icb::Store> store = icb::NewMemoryStore();
  icb::Catalog catalog{*store, *icb::SchemaSet::LoadEmbedded()};
  icb::PolicyRegistry policies;
  icb::ManualClock clock{*icb::ParseRfc3339("2026-11-23T00:00:00Z")};
  icb::QosService qos{*store, catalog};
  icb::Api api{*store, catalog, qos, policies, clock};
  World() {
    icb::RegisterBuiltinPolicies(policies);
    (void)icb::LoadCatalogFiles(catalog, icb::DemoCatalogFiles(), icb::LoadMode::kKeepExisting);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  icb::HttpRequest r;
  r.method = std::string(line.substr(0, space));
  if (!icb::ParseRequestTarget(line.substr(space + 1), r).ok()) return 0;
  r.headers["content-type"] = "application/json";
  r.body = line_end == std::string_view::npos ? "" : std::string(text.substr(line_end + 1));
  if (r.body.size() > world->api.BodyLimit(r.method, r.path)) return 0;  // the server refuses these unread
  icb::HttpResponse resp = world->api.Handle(r);
  if (resp.status >= 500) {
    std::fprintf(stderr, "answered %d: %s\n", resp.status, resp.body.c_str());
    std::abort();
  }
  return 0;
}
