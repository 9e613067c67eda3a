#include <nlohmann/json.hpp>

#include "broker/api/routes.h"

namespace icb {

void AddWorkloadRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "v1/workloads", body, [&ctx](const HttpRequest&, const PathParams&) {
    auto list = ctx.workloads.List();
    return list.ok() ? JsonResponse(200, ArrayOf("workloads", *list)) : ProblemResponse(list.status());
  }});
  router.Add({"GET", "v1/workloads/{id}", body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto doc = ctx.workloads.Get(p.at("id"));
    return doc.ok() ? JsonResponse(200, *doc) : ProblemResponse(doc.status());
  }});
  router.Add({"PUT", "v1/workloads/{id}", body, [&ctx](const HttpRequest& r, const PathParams& p) {
    auto doc = JsonBody(r, ctx.limits);
    if (!doc.ok()) return ProblemResponse(doc.status());
    const std::string& id = p.at("id");
    auto put = ctx.workloads.Put(id, std::move(*doc));
    if (!put.ok()) return ProblemResponse(put.status());
    HttpResponse resp = JsonResponse(put->created ? 201 : 200, put->document);
    if (put->created) resp.headers.emplace_back("Location", "/v1/workloads/" + id);
    return resp;
  }});
  router.Add({"DELETE", "v1/workloads/{id}", body, [&ctx](const HttpRequest&, const PathParams& p) {
    Status s = ctx.workloads.Delete(p.at("id"));
    if (!s.ok()) return ProblemResponse(s);
    HttpResponse resp;
    resp.status = 204;
    resp.content_type.clear();
    return resp;
  }});
}

}  // namespace icb
