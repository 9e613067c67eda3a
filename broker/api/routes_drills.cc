#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/time.h"
#include "broker/schema/validator.h"

namespace icb {

namespace {

HttpResponse StartDrill(const ApiContext& ctx, const HttpRequest& r) {
  if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not plan recoveries (started without an orchestrator)"));
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (Status s = CheckDocument(ctx.catalog.schemas(), "drill_request.json", *body); !s.ok()) return ProblemResponse(s);
  DrillRequest request;
  request.providers = (*body)["providers"].get<std::vector<std::string>>();
  if (body->contains("at")) request.at = ParseRfc3339((*body)["at"].get<std::string>());  // the schema checked the format
  request.scope = ScopeOf(r);
  request.actor = ActorOf(r);
  auto drill = ctx.orchestrator->RunDrill(request);
  if (!drill.ok()) return ProblemResponse(drill.status());
  HttpResponse resp = JsonResponse(200, DrillToJson(*drill).dump());
  resp.headers.emplace_back("Location", "/v1/drills/" + drill->id);
  return resp;
}

}  // namespace

void AddDrillRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"POST", "v1/drills", Access::kOperate, body, [&ctx](const HttpRequest& r, const PathParams&) { return StartDrill(ctx, r); }});
  router.Add({"GET", "v1/drills/{id}", Access::kRead, body,
              ForCallersId([](const std::string& id) { return NotFound("no drill \"" + id + "\""); },
                           [&ctx](const HttpRequest&, const std::string& id) {
                             if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker keeps no drills (started without an orchestrator)"));
                             auto drill = ctx.orchestrator->drills().Get(id);
                             if (!drill.ok()) return ProblemResponse(drill.status());
                             if (!*drill) return ProblemResponse(NotFound("no drill \"" + id + "\""));
                             return JsonResponse(200, DrillToJson(**drill).dump());
                           })});
  router.Add({"GET", "v1/readiness", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) {
    if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker keeps no readiness (started without an orchestrator)"));
    auto report = ctx.orchestrator->readiness().Read();
    if (!report.ok()) return ProblemResponse(report.status());
    // Before the leader's first standing drills: no verdict yet.
    if (!*report) return JsonResponse(200, nlohmann::json{{"at", nullptr}, {"workloads", nlohmann::json::array()}}.dump());
    return JsonResponse(200, ReadinessToJson(**report, ScopeOf(r)).dump());
  }});
}

}  // namespace icb
