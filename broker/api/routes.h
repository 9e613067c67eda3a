// The API's areas: each adds its routes to the route table. What a route
// needs from the broker comes in the ApiContext.
#pragma once

#include "broker/api/event_feed.h"
#include "broker/api/json_body.h"
#include "broker/api/rank_memo.h"
#include "broker/api/router.h"
#include "broker/auth/key_store.h"
#include "broker/catalog/catalog.h"
#include "broker/catalog/credential_admin.h"
#include "broker/core/clock.h"
#include "broker/core/metrics.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/triggers/audience_meter.h"
#include "broker/orchestrator/triggers/detector.h"
#include "broker/orchestrator/engine/operation.h"
#include "broker/orchestrator/orchestrator.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/qos/service.h"
#include "broker/ranking/policy.h"
#include "broker/store/store.h"

namespace icb {

struct ApiContext {
  Store& store;
  Catalog& catalog;
  QosService& qos;
  const PolicyRegistry& policies;
  const Clock& clock;
  ApiLimits limits;
  WorkloadCatalog& workloads;
  OperationStore& operations;
  AuditLog& audit;
  EventFeed* events;           // live events for GET /v1/events/stream
  Orchestrator* orchestrator;  // null: this broker does not act (routes that start operations answer 503)
  Detector* detector;          // null: no detection (pushed samples answer 503)
  RankAnswerMemo* rank_memo;   // null: every rank computed afresh
  KeyStore& keys;
  CredentialAdmin* credentials;  // null: the broker keeps none (lists are empty, puts answer 409)
  AudienceMeter* audiences;      // null: no audience is measured
  MetricRegistry& metrics;       // what GET /metrics renders
};

// What a request may see and name (tenant_space.h): its key's tenant's
// objects, and the broker's own operations (recoveries) for an admin. A
// broker without keys serves the default tenant and sees the broker's.
Scope ScopeOf(const HttpRequest& r);

// A route on one of the caller's objects, named by the {id} of its path:
// `handle` gets its stored id; an id in another tenant's form is answered
// by `missing`, as an id nobody has.
using OnStoredId = std::function<HttpResponse(const HttpRequest&, const std::string& stored_id)>;
std::function<HttpResponse(const HttpRequest&, const PathParams&)> ForCallersId(std::function<Status(const std::string&)> missing, OnStoredId handle);

// Who a request acts as, for the audit trail (AuditEvent::actor): "key:ID",
// or "anonymous" on a broker without keys.
std::string ActorOf(const HttpRequest& r);

// Header values a client sends that name things the broker keeps
// (Idempotency-Key): 1-255 visible ASCII characters.
Status CheckIdempotencyKey(const std::string& value);

// GET /v1/health.
void AddHealthRoutes(Router& router, const ApiContext& ctx);
// Providers, profiles, SLA versions.
void AddCatalogRoutes(Router& router, const ApiContext& ctx);
// Samples, provider events, metrics and SLA reports.
void AddQosRoutes(Router& router, const ApiContext& ctx);
// Rank and compare.
void AddRankRoutes(Router& router, const ApiContext& ctx);
// Workloads, and their manual failover.
void AddWorkloadRoutes(Router& router, const ApiContext& ctx);
// Verified migrations of data, and workloads' planned moves.
void AddMigrationRoutes(Router& router, const ApiContext& ctx);
// Operations (read and cancel: they are started by the routes that act),
// and the audit trail.
void AddOperationRoutes(Router& router, const ApiContext& ctx);
// API keys (admin only).
void AddKeyRoutes(Router& router, const ApiContext& ctx);
// Drills: a disaster's recovery predicted, the drills kept, and readiness.
void AddDrillRoutes(Router& router, const ApiContext& ctx);
// The operator console (/ui/): its page, script and style, public (what
// it shows comes from the API, with the key it signs in with).
void AddConsoleRoutes(Router& router, const ApiContext& ctx);
// Provider credentials (admin only).
void AddCredentialRoutes(Router& router, const ApiContext& ctx);

}  // namespace icb
