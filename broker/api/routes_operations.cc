#include <nlohmann/json.hpp>

#include "broker/api/routes.h"

namespace icb {

namespace {

HttpResponse ListOperations(const ApiContext& ctx, const HttpRequest& r) {
  std::optional<OperationState> state;
  if (auto it = r.query.find("state"); it != r.query.end()) {
    state = OperationStateFromName(it->second);
    if (!state) {
      return ProblemResponse(InvalidArgument(
          "invalid query", {{"", "state= is pending, running, waiting, succeeded, failed or cancelled, got \"" + it->second + "\""}}));
    }
  }
  auto workload = r.query.find("workload");
  auto kind = r.query.find("kind");
  auto ids = workload != r.query.end() ? ctx.operations.OfWorkload(workload->second) : ctx.operations.All();
  if (!ids.ok()) return ProblemResponse(ids.status());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& id : *ids) {
    auto op = ctx.operations.Get(id);
    if (!op.ok()) return ProblemResponse(op.status());
    if (!op->has_value()) continue;  // removed between the index and the record
    if (state && (*op)->state != *state) continue;
    if (kind != r.query.end() && (*op)->kind != kind->second) continue;
    list.push_back(OperationToJson(**op));
  }
  return JsonResponse(200, nlohmann::json{{"operations", std::move(list)}}.dump());
}

}  // namespace

void AddOperationRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "v1/operations", body, [&ctx](const HttpRequest& r, const PathParams&) { return ListOperations(ctx, r); }});
  router.Add({"GET", "v1/operations/{id}", body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto op = ctx.operations.Get(p.at("id"));
    if (!op.ok()) return ProblemResponse(op.status());
    if (!op->has_value()) return ProblemResponse(NotFound("no operation " + p.at("id")));
    return JsonResponse(200, OperationToJson(**op).dump());
  }});
}

}  // namespace icb
