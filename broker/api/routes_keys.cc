// API keys (admin only): made, listed, shown and revoked by id. The text of
// a key is in the answer that made it and nowhere else.
#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/schema/validator.h"

namespace icb {

namespace {

// A key made or revoked, for the audit trail: which, for which tenant and
// role, by whom (never its text).
AuditEvent KeyEvent(const ApiContext& ctx, const HttpRequest& r, const char* kind, const ApiKey& key) {
  const bool made = std::string_view(kind) == "key_created";
  AuditEvent e = MakeEvent(std::string(kind) + ":" + key.id, kind, made ? key.created_at : key.revoked_at.value_or(ctx.clock.Now()), {},
                           std::string(made ? "API key " : "API key revoked: ") + key.id + " (" + std::string(RoleName(key.role)) + " of tenant " +
                               key.tenant + ")",
                           {{"key", key.id}, {"tenant", key.tenant}, {"role", std::string(RoleName(key.role))}});
  e.actor = ActorOf(r);
  return e;
}

HttpResponse CreateKey(const ApiContext& ctx, const HttpRequest& r) {
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (Status s = CheckDocument(ctx.catalog.schemas(), "key_request.json", *body); !s.ok()) return ProblemResponse(s);
  auto made = ctx.keys.Create((*body)["tenant"].get<std::string>(), *ParseRole((*body)["role"].get<std::string>()), body->value("name", ""));
  if (!made.ok()) return ProblemResponse(made.status());
  // Recorded after the key is: a key without its event is still a key (the
  // event says who made it, not whether it exists).
  if (Status s = ctx.audit.Record({KeyEvent(ctx, r, "key_created", made->key)}, nullptr); !s.ok()) return ProblemResponse(s);
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
  // Who the caller is (any role): a console shows only the controls its
  // role may use.
  router.Add({"GET", "v1/caller", Access::kRead, body, [](const HttpRequest& r, const PathParams&) {
    if (!r.caller) return JsonResponse(200, nlohmann::json{{"tenant", nullptr}, {"role", "admin"}, {"key", nullptr}, {"auth", "off"}}.dump());
    return JsonResponse(200, nlohmann::json{{"tenant", r.caller->tenant}, {"role", std::string(RoleName(r.caller->role))}, {"key", r.caller->key_id},
                                            {"auth", "keys"}}.dump());
  }});
  router.Add({"POST", "v1/keys", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return CreateKey(ctx, r); }});
  router.Add({"GET", "v1/keys", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return ListKeys(ctx, r); }});
  router.Add({"GET", "v1/keys/{id}", Access::kAdmin, body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto key = ctx.keys.Get(p.at("id"));
    return key.ok() ? JsonResponse(200, ApiKeyJson(*key).dump()) : ProblemResponse(key.status());
  }});
  router.Add({"DELETE", "v1/keys/{id}", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams& p) {
    auto key = ctx.keys.Revoke(p.at("id"));
    if (!key.ok()) return ProblemResponse(key.status());
    // One event per key however often it is revoked (the event's id is the key's).
    if (Status s = ctx.audit.Record({KeyEvent(ctx, r, "key_revoked", *key)}, nullptr); !s.ok()) return ProblemResponse(s);
    return JsonResponse(200, ApiKeyJson(*key).dump());
  }});
}

}  // namespace icb
