#include "broker/api/routes.h"

namespace icb {

void AddHealthRoutes(Router& router, const ApiContext& ctx) {
  router.Add({"GET", "v1/health", ctx.limits.document_body_bytes, [&ctx](const HttpRequest&, const PathParams&) {
    Status s = ctx.store.Ping();
    nlohmann::json body = {{"status", s.ok() ? "ok" : "degraded"}, {"store", s.ok() ? "ok" : s.message()}};
    return JsonResponse(s.ok() ? 200 : 503, body.dump());
  }});
}

}  // namespace icb
