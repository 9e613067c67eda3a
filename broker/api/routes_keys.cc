// API keys (admin only): made, listed, shown and revoked by id. The text of
// a key is in the answer that made it and nowhere else.
#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/schema/validator.h"

namespace icb {

namespace {

HttpResponse CreateKey(const ApiContext& ctx, const HttpRequest& r) {
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (Status s = CheckDocument(ctx.catalog.schemas(), "key_request.json", *body); !s.ok()) return ProblemResponse(s);
  auto made = ctx.keys.Create((*body)["tenant"].get<std::string>(), *ParseRole((*body)["role"].get<std::string>()), body->value("name", ""));
  if (!made.ok()) return ProblemResponse(made.status());
  nlohmann::json answer = ApiKeyJson(made->key);
  answer["secret"] = made->secret;
  HttpResponse resp = JsonResponse(201, answer.dump());
  resp.headers.emplace_back("Location", "/v1/keys/" + made->key.id);
  // Shown once: no cache along the way may keep it.
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

HttpResponse ListKeys(const ApiContext& ctx, const HttpRequest& r) {
  std::vector<FieldError> errors;
  ListQuery q = ParseListQuery(r, errors);
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
  auto page = ctx.keys.List(q.after, q.limit);
  if (!page.ok()) return ProblemResponse(page.status());
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : page->keys) keys.push_back(ApiKeyJson(k));
  return JsonResponse(200, nlohmann::json{{"keys", std::move(keys)}, {"next", page->next ? nlohmann::json(*page->next) : nlohmann::json(nullptr)}}.dump());
}

}  // namespace

void AddKeyRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"POST", "v1/keys", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return CreateKey(ctx, r); }});
  router.Add({"GET", "v1/keys", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return ListKeys(ctx, r); }});
  router.Add({"GET", "v1/keys/{id}", Access::kAdmin, body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto key = ctx.keys.Get(p.at("id"));
    return key.ok() ? JsonResponse(200, ApiKeyJson(*key).dump()) : ProblemResponse(key.status());
  }});
  router.Add({"DELETE", "v1/keys/{id}", Access::kAdmin, body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto key = ctx.keys.Revoke(p.at("id"));
    return key.ok() ? JsonResponse(200, ApiKeyJson(*key).dump()) : ProblemResponse(key.status());
  }});
}

}  // namespace icb
