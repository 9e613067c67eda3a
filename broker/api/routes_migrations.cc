// POST /v1/migrations and POST /v1/workloads/{id}/migrations: verified
// copies, and a workload's planned move with its data.
#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/schema/validator.h"

namespace icb {

namespace {

HttpResponse Started(const Result<Operation>& op) {
  if (!op.ok()) return ProblemResponse(op.status());
  HttpResponse resp = JsonResponse(202, nlohmann::json{{"operation", OperationToJson(*op)}}.dump());
  resp.headers.emplace_back("Location", "/v1/operations/" + op->id);
  return resp;
}

// The request's Idempotency-Key, checked; empty when none.
Result<std::string> IdempotencyKeyOf(const HttpRequest& r) {
  auto key = r.headers.find("idempotency-key");
  if (key == r.headers.end()) return std::string();
  ICB_RETURN_IF_ERROR(CheckIdempotencyKey(key->second));
  return key->second;
}

HttpResponse StartMigration(const ApiContext& ctx, const HttpRequest& r, const std::string* workload) {
  if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not run operations (started without an orchestrator)"));
  MigrationRequest request;
  auto key = IdempotencyKeyOf(r);
  if (!key.ok()) return ProblemResponse(key.status());
  request.idempotency_key = *key;
  request.actor = ActorOf(r);
  request.space = ScopeOf(r).own();
  auto body = JsonBody(r, ctx.limits);
  if (!body.ok()) return ProblemResponse(body.status());
  if (workload) {
    if (Status s = CheckDocument(ctx.catalog.schemas(), "workload_migration_request.json", *body); !s.ok()) return ProblemResponse(s);
    if (auto exists = ctx.workloads.Get(*workload); !exists.ok()) return ProblemResponse(exists.status());
    request.workload = *workload;
    request.to = (*body)["to"].get<std::string>();
    if (body->contains("retention_s")) request.retention_s = (*body)["retention_s"].get<double>();
  } else {
    if (Status s = CheckDocument(ctx.catalog.schemas(), "migration_request.json", *body); !s.ok()) return ProblemResponse(s);
    const auto& source = (*body)["source"];
    const auto& target = (*body)["target"];
    request.source_provider = source["provider"].get<std::string>();
    request.source_prefix = source.value("prefix", "");
    request.target_provider = target["provider"].get<std::string>();
    request.target_prefix = target.value("prefix", "");
  }
  return Started(ctx.orchestrator->StartMigration(request));
}

}  // namespace

void AddMigrationRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  // A copy between any prefixes of the providers' object stores reaches
  // every tenant's data: admins only. A workload's move copies its own.
  router.Add({"POST", "v1/migrations", Access::kAdmin, body, [&ctx](const HttpRequest& r, const PathParams&) { return StartMigration(ctx, r, nullptr); }});
  router.Add({"POST", "v1/workloads/{id}/migrations", Access::kOperate, body,
              ForCallersId([](const std::string& id) { return NoDocument(Collection::kWorkloads, id); },
                           [&ctx](const HttpRequest& r, const std::string& id) { return StartMigration(ctx, r, &id); })});
}

}  // namespace icb
