#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/time.h"

namespace icb {

namespace {

HttpResponse Documents(const ApiContext& ctx, const HttpRequest& r, Collection c) {
  const auto& p = r.path;  // v1 {collection} [id]
  // Profiles are the caller's tenant's; providers everyone's.
  const bool tenanted = c == Collection::kProfiles;
  const Scope scope = tenanted ? ScopeOf(r) : Scope(TenantSpace::Default(), false);
  if (p.size() == 2) {
    std::vector<FieldError> errors;
    ListQuery q = ParseListQuery(r, errors);
    if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
    auto page = ctx.catalog.ListPage(c, q.after, q.limit, scope.own());
    return page.ok() ? JsonResponse(200, PageOf(p[1], page->documents, page->next)) : ProblemResponse(page.status());
  }
  const std::optional<std::string> id = scope.Stored(p[2]);
  if (!id) return ProblemResponse(NoDocument(c, p[2]));
  if (r.method == "GET") {
    auto doc = ctx.catalog.Get(c, *id);
    return doc.ok() ? JsonResponse(200, *doc) : ProblemResponse(doc.status());
  }
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (c == Collection::kProfiles && body->is_object() && body->contains("policy") && (*body)["policy"].is_string()) {
    if (Status s = ctx.policies.CheckName((*body)["policy"].get<std::string>(), "/policy"); !s.ok()) return ProblemResponse(s);
  }
  auto put = ctx.catalog.Put(c, *id, *body);
  if (!put.ok()) return ProblemResponse(put.status());
  HttpResponse resp = JsonResponse(put->created ? 201 : 200, put->document);
  if (put->created) resp.headers.emplace_back("Location", "/v1/" + p[1] + "/" + p[2]);
  return resp;
}

HttpResponse Slas(const ApiContext& ctx, const HttpRequest& r) {
  const auto& p = r.path;  // v1 providers {id} slas [version]
  if (p.size() == 5) {
    auto doc = ctx.catalog.GetSla(p[2], p[4]);
    return doc.ok() ? JsonResponse(200, *doc) : ProblemResponse(doc.status());
  }
  if (r.method == "GET") {
    auto at = r.query.find("at");
    if (at != r.query.end()) {
      std::string why;
      auto t = ParseRfc3339(at->second, &why);
      if (!t) return ProblemResponse(InvalidArgument("invalid query", {{"", "query parameter at=\"" + at->second + "\" is not an RFC 3339 date-time: " + why}}));
      auto doc = ctx.catalog.SlaInForce(p[2], *t);
      return doc.ok() ? JsonResponse(200, *doc) : ProblemResponse(doc.status());
    }
    auto list = ctx.catalog.ListSlas(p[2]);
    return list.ok() ? JsonResponse(200, ArrayOf("slas", *list)) : ProblemResponse(list.status());
  }
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  auto doc = ctx.catalog.AppendSla(p[2], *body);
  if (!doc.ok()) return ProblemResponse(doc.status());
  HttpResponse resp = JsonResponse(201, *doc);
  resp.headers.emplace_back("Location", "/v1/providers/" + p[2] + "/slas/" + (*body)["version"].get<std::string>());
  return resp;
}

}  // namespace

void AddCatalogRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  for (auto [collection, name] : {std::pair{Collection::kProviders, "providers"}, std::pair{Collection::kProfiles, "profiles"}}) {
    auto handle = [&ctx, c = collection](const HttpRequest& r, const PathParams&) { return Documents(ctx, r, c); };
    // The provider catalog is shared: only admins change it. Profiles
    // belong to a tenant's operators.
    const Access put = collection == Collection::kProviders ? Access::kAdmin : Access::kOperate;
    router.Add({"GET", std::string("v1/") + name, Access::kRead, body, handle});
    router.Add({"GET", std::string("v1/") + name + "/{id}", Access::kRead, body, handle});
    router.Add({"PUT", std::string("v1/") + name + "/{id}", put, body, handle});
  }
  auto slas = [&ctx](const HttpRequest& r, const PathParams&) { return Slas(ctx, r); };
  router.Add({"GET", "v1/providers/{id}/slas", Access::kRead, body, slas});
  router.Add({"POST", "v1/providers/{id}/slas", Access::kAdmin, body, slas});
  router.Add({"GET", "v1/providers/{id}/slas/{version}", Access::kRead, body, slas});
}

}  // namespace icb
