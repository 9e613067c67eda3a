#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/json_writer.h"
#include "broker/core/time.h"

namespace icb {

namespace {

HttpResponse Samples(const ApiContext& ctx, const HttpRequest& r) {
  if (Status ct = CheckJsonContentType(r); !ct.ok()) return ProblemResponse(ct);
  auto result = ctx.qos.IngestText(r.body);  // streamed: no document tree for 10,000 samples
  if (!result.ok()) return ProblemResponse(result.status());
  JsonWriter w;
  w.BeginObject().Key("accepted").Int(result->accepted).Key("duplicates").Int(result->duplicates).EndObject();
  return JsonResponse(202, w.Take());  // durable: the store acknowledged the whole batch
}

HttpResponse Events(const ApiContext& ctx, const HttpRequest& r) {
  const std::string& provider = r.path[2];
  if (auto exists = ctx.catalog.GetProvider(provider); !exists.ok()) return ProblemResponse(exists.status());
  if (r.method == "GET") {
    std::optional<std::string> kind;
    std::optional<TimePoint> from, to;
    if (auto k = r.query.find("kind"); k != r.query.end()) kind = k->second;
    for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
      auto it = r.query.find(name);
      if (it == r.query.end()) continue;
      std::string why;
      auto t = ParseRfc3339(it->second, &why);
      if (!t) return ProblemResponse(InvalidArgument("invalid query", {{"", std::string(name) + "= is not an RFC 3339 date-time: " + why}}));
      *target = *t;
    }
    auto list = ctx.qos.events().List(provider, kind, from, to);
    return list.ok() ? JsonResponse(200, ArrayOf("events", *list)) : ProblemResponse(list.status());
  }
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  auto added = ctx.qos.AddEvent(provider, *body);
  if (!added.ok()) return ProblemResponse(added.status());
  return JsonResponse(added->created ? 201 : 200, added->document);
}

HttpResponse ProviderQos(const ApiContext& ctx, const HttpRequest& r) {
  auto out = r.path[3] == "metrics" ? ctx.qos.MetricsJson(r.path[2], r.query) : ctx.qos.SlaReportJson(r.path[2], r.query);
  return out.ok() ? JsonResponse(200, std::move(out).value()) : ProblemResponse(out.status());
}

}  // namespace

void AddQosRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"POST", "v1/qos/samples", Access::kAdmin, ctx.limits.sample_batch_bytes, [&ctx](const HttpRequest& r, const PathParams&) { return Samples(ctx, r); }});
  auto events = [&ctx](const HttpRequest& r, const PathParams&) { return Events(ctx, r); };
  router.Add({"GET", "v1/providers/{id}/events", Access::kRead, body, events});
  router.Add({"POST", "v1/providers/{id}/events", Access::kAdmin, body, events});
  auto provider_qos = [&ctx](const HttpRequest& r, const PathParams&) { return ProviderQos(ctx, r); };
  router.Add({"GET", "v1/providers/{id}/metrics", Access::kRead, body, provider_qos});
  router.Add({"GET", "v1/providers/{id}/sla-report", Access::kRead, body, provider_qos});
}

}  // namespace icb
