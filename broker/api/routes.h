// The API's areas: each adds its routes to the route table. What a route
// needs from the broker comes in the ApiContext.
#pragma once

#include "broker/api/json_body.h"
#include "broker/api/router.h"
#include "broker/catalog/catalog.h"
#include "broker/core/clock.h"
#include "broker/orchestrator/operation.h"
#include "broker/orchestrator/workloads.h"
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
};

// GET /v1/health.
void AddHealthRoutes(Router& router, const ApiContext& ctx);
// Providers, profiles, SLA versions.
void AddCatalogRoutes(Router& router, const ApiContext& ctx);
// Samples, provider events, metrics and SLA reports.
void AddQosRoutes(Router& router, const ApiContext& ctx);
// Rank and compare.
void AddRankRoutes(Router& router, const ApiContext& ctx);
// Workloads.
void AddWorkloadRoutes(Router& router, const ApiContext& ctx);
// Operations (read: they are started by the routes that act).
void AddOperationRoutes(Router& router, const ApiContext& ctx);

}  // namespace icb
