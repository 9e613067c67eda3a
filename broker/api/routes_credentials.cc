// Provider credentials (admin only): put, listed, shown and deleted by name.
// What any answer, error or event holds of one is its name, where it lives
// and its field names; a value goes in and never comes out.
#include <chrono>

#include <nlohmann/json.hpp>

#include "broker/api/routes.h"

namespace icb {

namespace {

// A credential put or deleted, for the audit trail: which, its field names,
// the key it is sealed with, and by whom. Each change is its own event.
AuditEvent CredentialEvent(const ApiContext& ctx, const HttpRequest& r, const char* kind, const nlohmann::json& credential) {
  const std::string name = credential["name"].get<std::string>();
  const TimePoint at = ctx.clock.Now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  const bool put = std::string_view(kind) == "credential_put";
  AuditEvent e = MakeEvent(std::string(kind) + ":" + name + ":" + std::to_string(micros), kind, at, {},
                           std::string(put ? "credentials put: " : "credentials deleted: ") + name,
                           {{"credential", name}, {"fields", credential["fields"]}, {"key_id", credential.value("key_id", "")}});
  e.actor = ActorOf(r);
  return e;
}

HttpResponse ListCredentials(const ApiContext& ctx, const HttpRequest& r) {
  std::vector<FieldError> errors;
  ListQuery q = ParseListQuery(r, errors);
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
  CredentialAdmin::Page page;
  if (ctx.credentials) {
    auto listed = ctx.credentials->List(q.after, q.limit);
    if (!listed.ok()) return ProblemResponse(listed.status());
    page = std::move(*listed);
  }
  return JsonResponse(200, nlohmann::json{{"credentials", page.credentials}, {"next", page.next ? nlohmann::json(*page.next) : nlohmann::json(nullptr)}}
                               .dump());
}

HttpResponse PutCredential(const ApiContext& ctx, const HttpRequest& r, const std::string& name) {
  if (!ctx.credentials) return ProblemResponse(NoCredentialKeyRing());
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  auto put = ctx.credentials->Put(name, *body);
  if (!put.ok()) return ProblemResponse(put.status());
  // Recorded after the credential is: the event says who changed it.
  if (Status s = ctx.audit.Record({CredentialEvent(ctx, r, "credential_put", put->credential)}, nullptr); !s.ok()) return ProblemResponse(s);
  HttpResponse resp = JsonResponse(put->created ? 201 : 200, put->credential.dump());
  if (put->created) resp.headers.emplace_back("Location", "/v1/credentials/" + name);
  return resp;
}

HttpResponse DeleteCredential(const ApiContext& ctx, const HttpRequest& r, const std::string& name) {
  if (!ctx.credentials) return ProblemResponse(NotFound("no credentials named \"" + name + "\""));
  auto deleted = ctx.credentials->Delete(name);
  if (!deleted.ok()) return ProblemResponse(deleted.status());
  if (Status s = ctx.audit.Record({CredentialEvent(ctx, r, "credential_deleted", deleted->credential)}, nullptr); !s.ok()) return ProblemResponse(s);
  return JsonResponse(200, deleted->credential.dump());
}

}  // namespace

void AddCredentialRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "v1/credentials", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return ListCredentials(ctx, r); }});
  router.Add({"GET", "v1/credentials/{id}", Access::kAdmin, body, [&ctx](const HttpRequest&, const PathParams& p) {
    if (!ctx.credentials) return ProblemResponse(NotFound("no credentials named \"" + p.at("id") + "\""));
    auto credential = ctx.credentials->Get(p.at("id"));
    return credential.ok() ? JsonResponse(200, credential->dump()) : ProblemResponse(credential.status());
  }});
  router.Add({"PUT", "v1/credentials/{id}", Access::kAdmin, body,
              [&ctx](const HttpRequest& r, const PathParams& p) { return PutCredential(ctx, r, p.at("id")); }});
  router.Add({"DELETE", "v1/credentials/{id}", Access::kAdmin, body,
              [&ctx](const HttpRequest& r, const PathParams& p) { return DeleteCredential(ctx, r, p.at("id")); }});
}

}  // namespace icb
