#include "broker/api/routes.h"
#include "broker/core/embedded.h"

namespace icb {

namespace {

// What the running broker is and where its API is described.
HttpResponse Index() {
  nlohmann::json body = {{"name", "icbroker"},
                         {"version", ICB_VERSION},
                         {"api", "/v1"},
                         {"openapi", "/v1/openapi.json"},
                         {"health", "/v1/health"}};
  return JsonResponse(200, body.dump());
}

}  // namespace

void AddHealthRoutes(Router& router, const ApiContext& ctx) {
  router.Add({"GET", "", Access::kRead, ctx.limits.document_body_bytes, [](const HttpRequest&, const PathParams&) { return Index(); }});
  router.Add({"GET", "v1", Access::kRead, ctx.limits.document_body_bytes, [](const HttpRequest&, const PathParams&) { return Index(); }});
  // The OpenAPI description, as compiled into the binary with the schemas.
  router.Add({"GET", "v1/openapi.json", Access::kRead, ctx.limits.document_body_bytes, [](const HttpRequest&, const PathParams&) {
    for (const auto& f : EmbeddedSchemas())
      if (f.path == "openapi/openapi.json") return JsonResponse(200, std::string(f.content));
    return ProblemResponse(NotFound("no OpenAPI description in this build"));
  }});
  // The broker's own metrics in the Prometheus text format, for a scraper
  // holding an admin key: they count every tenant's requests and operations.
  router.Add({"GET", "metrics", Access::kAdmin, ctx.limits.document_body_bytes, [&ctx](const HttpRequest&, const PathParams&) {
    HttpResponse answer;
    answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer.body = ctx.metrics.Render();
    return answer;
  }});
  router.Add({"GET", "v1/health", Access::kPublic, ctx.limits.document_body_bytes, [&ctx](const HttpRequest&, const PathParams&) {
    Status s = ctx.store.Ping();
    nlohmann::json body = {{"status", s.ok() ? "ok" : "degraded"}, {"store", s.ok() ? "ok" : s.message()}};
    return JsonResponse(s.ok() ? 200 : 503, body.dump());
  }});
}

}  // namespace icb
