#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/time.h"
#include "broker/schema/validator.h"

namespace icb {

namespace {

Status NotActing() {
  return Unavailable("this broker does not run operations (started without an orchestrator)");
}

HttpResponse Failover(const ApiContext& ctx, const HttpRequest& r, const std::string& workload) {
  if (!ctx.orchestrator) return ProblemResponse(NotActing());
  FailoverRequest request;
  request.actor = ActorOf(r);
  if (auto key = r.headers.find("idempotency-key"); key != r.headers.end()) {
    if (Status s = CheckIdempotencyKey(key->second); !s.ok()) return ProblemResponse(s);
    request.idempotency_key = key->second;
  }
  // The body is optional: none (or {}) lets the broker choose the target.
  if (!r.body.empty()) {
    auto body = JsonBody(r, ctx.limits);
    if (!body.ok()) return ProblemResponse(body.status());
    if (Status s = CheckDocument(ctx.catalog.schemas(), "failover_request.json", *body); !s.ok()) return ProblemResponse(s);
    request.to = body->value("to", "");
    request.reason = body->value("reason", "");
  }
  auto op = ctx.orchestrator->StartFailover(workload, request);
  if (!op.ok()) return ProblemResponse(op.status());
  HttpResponse resp = JsonResponse(202, nlohmann::json{{"operation", OperationToJson(*op)}}.dump());
  resp.headers.emplace_back("Location", "/v1/operations/" + op->id);
  return resp;
}

HttpResponse PushSamples(const ApiContext& ctx, const HttpRequest& r, const std::string& workload) {
  if (!ctx.detector) return ProblemResponse(Unavailable("this broker does not detect failures (started without an orchestrator)"));
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (Status s = CheckDocument(ctx.catalog.schemas(), "workload_samples.json", *body); !s.ok()) return ProblemResponse(s);
  if (auto exists = ctx.workloads.Get(workload); !exists.ok()) return ProblemResponse(exists.status());
  std::vector<VantageSample> samples;
  for (const auto& s : (*body)["samples"]) {
    VantageSample v;
    v.ts = *ParseRfc3339(s["ts"].get<std::string>());  // the schema checked the format
    v.ok = s["ok"].get<bool>();
    v.status = s.value("status", 0);
    v.error = s.value("error", "");
    if (s.contains("latency_ms")) v.latency_ms = s["latency_ms"].get<double>();
    samples.push_back(std::move(v));
  }
  const size_t n = samples.size();
  const std::string vantage = (*body)["vantage"].get<std::string>();
  const std::string provider = body->value("provider", "");
  // For its audiences measured from there (latency), and for detection
  // (samples of the address it serves at, naming no other provider).
  const Status measured = ctx.audiences ? ctx.audiences->Push(workload, vantage, samples, provider) : NotFound("no audiences measured");
  if (!provider.empty()) {
    if (!measured.ok()) return ProblemResponse(Status(StatusCode::kNotFound, measured.message(), {{"/provider", measured.message()}}));
  } else if (Status s = ctx.detector->Push(workload, vantage, std::move(samples)); !s.ok() && !measured.ok()) {
    return ProblemResponse(s);
  }
  return JsonResponse(202, nlohmann::json{{"accepted", n}}.dump());
}

// How each audience sees the service now: its objective beside what its
// vantage measured over its window (audience_meter.h).
HttpResponse Audiences(const ApiContext& ctx, const std::string& workload) {
  auto doc = ctx.workloads.Get(workload);
  if (!doc.ok()) return ProblemResponse(doc.status());
  auto w = WorkloadFromJson(nlohmann::json::parse(*doc));
  if (!w.ok()) return ProblemResponse(w.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : w->audiences) {
    const std::optional<AudienceReading> r = ctx.audiences ? ctx.audiences->Read(workload, a.id) : std::nullopt;
    nlohmann::json one = {{"id", a.id},
                          {"vantage", a.vantage},
                          {"objective_p95_ms", a.p95_ms},
                          {"window_s", a.window_s},
                          {"provider", nullptr},
                          {"p95_ms", nullptr},
                          {"samples", {{"ok", 0}, {"failed", 0}}},
                          {"newest", nullptr}};
    if (r) {
      one["provider"] = r->provider;
      if (r->p95_ms) one["p95_ms"] = *r->p95_ms;
      one["samples"] = {{"ok", r->ok}, {"failed", r->failed}};
      if (r->newest) one["newest"] = FormatRfc3339(*r->newest);
    }
    out.push_back(std::move(one));
  }
  return JsonResponse(200, nlohmann::json{{"audiences", std::move(out)}}.dump());
}

}  // namespace

void AddWorkloadRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  auto one = [](OnStoredId handle) {
    return ForCallersId([](const std::string& id) { return NoDocument(Collection::kWorkloads, id); }, std::move(handle));
  };
  router.Add({"GET", "v1/workloads", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) {
    std::vector<FieldError> errors;
    ListQuery q = ParseListQuery(r, errors);
    if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
    auto page = ctx.workloads.ListPage(q.after, q.limit, ScopeOf(r).own());
    return page.ok() ? JsonResponse(200, PageOf("workloads", page->documents, page->next)) : ProblemResponse(page.status());
  }});
  router.Add({"GET", "v1/workloads/{id}", Access::kRead, body, one([&ctx](const HttpRequest&, const std::string& id) {
    auto doc = ctx.workloads.Get(id);
    return doc.ok() ? JsonResponse(200, *doc) : ProblemResponse(doc.status());
  })});
  router.Add({"PUT", "v1/workloads/{id}", Access::kOperate, body, one([&ctx](const HttpRequest& r, const std::string& id) {
    auto doc = JsonBody(r, ctx.limits);
    if (!doc.ok()) return ProblemResponse(doc.status());
    auto put = ctx.workloads.Put(id, std::move(*doc));
    if (!put.ok()) return ProblemResponse(put.status());
    HttpResponse resp = JsonResponse(put->created ? 201 : 200, put->document);
    if (put->created) resp.headers.emplace_back("Location", "/v1/workloads/" + id);
    if (ctx.orchestrator) ctx.orchestrator->Nudge();  // bring the world to it now, not at the next pass
    return resp;
  })});
  router.Add({"GET", "v1/workloads/{id}/audiences", Access::kRead, body, one([&ctx](const HttpRequest&, const std::string& id) { return Audiences(ctx, id); })});
  router.Add({"POST", "v1/workloads/{id}/samples", Access::kOperate, body, one([&ctx](const HttpRequest& r, const std::string& id) { return PushSamples(ctx, r, id); })});
  router.Add({"POST", "v1/workloads/{id}/failover", Access::kOperate, body, one([&ctx](const HttpRequest& r, const std::string& id) { return Failover(ctx, r, id); })});
  router.Add({"DELETE", "v1/workloads/{id}", Access::kOperate, body, one([&ctx](const HttpRequest&, const std::string& id) {
    Status s = ctx.workloads.Delete(id);
    if (!s.ok()) return ProblemResponse(s);
    HttpResponse resp;
    resp.status = 204;
    resp.content_type.clear();
    return resp;
  })});
}

}  // namespace icb
