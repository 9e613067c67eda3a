// HTTP API v1 routes (docs/architecture.md; every route in schemas/openapi/openapi.json): pure request -> response.
#pragma once

#include "broker/api/event_feed.h"
#include "broker/api/http.h"
#include "broker/api/rank_memo.h"
#include "broker/api/router.h"
#include "broker/api/routes.h"
#include "broker/catalog/catalog.h"
#include "broker/core/clock.h"
#include "broker/core/json_writer.h"
#include "broker/core/log.h"
#include "broker/qos/service.h"
#include "broker/report/compare.h"
#include "broker/schema/json_input.h"
#include "broker/ranking/policy.h"
#include "broker/store/store.h"

namespace icb {

// The HTTP API: the route table of every area (routes_*.cc), behind one
// hook pair for authentication and request metrics.
class Api {
 public:
  // `orchestrator` may be null: the broker then serves and ranks but does
  // not act (routes that start or cancel operations answer 503).
  // `credentials` may be null: the broker keeps none of its own.
  Api(Store& store, Catalog& catalog, QosService& qos, const PolicyRegistry& policies, const Clock& clock, ApiLimits limits = {},
      Orchestrator* orchestrator = nullptr, Detector* detector = nullptr, CredentialAdmin* credentials = nullptr,
      AudienceMeter* audiences = nullptr, MetricRegistry* metrics = nullptr, const Logger* log = nullptr);

  // Counted in icbroker_http_requests_in_flight while it runs.
  HttpResponse Handle(HttpRequest& request) const;
  size_t BodyLimit(const std::string& method, const std::vector<std::string>& path) const { return router_.BodyLimit(method, path); }
  HttpHandler AsHandler() const;
  const Router& router() const { return router_; }
  // From now on every route but the public ones needs a live API key
  // (`serve --auth keys`); until then every request is served unasked.
  void RequireKeys();
  MetricRegistry& metrics() const { return metrics_; }

 private:
  // Each request's duration by route, method and status class: the
  // histogram of a (route, class) pair, found once (router.h's routes by
  // index; classes 1xx to 5xx).
  void CountRequest(const Route* route, int status, std::chrono::nanoseconds took) const;
  // A line for each answer the broker got wrong (5xx), with the request's id.
  void LogFailure(const HttpRequest& request, const Route* route, const HttpResponse& answer) const;

  const Logger* log_;  // null: no lines
  std::unique_ptr<MetricRegistry> own_metrics_;  // when none was given
  MetricRegistry& metrics_;
  Family<Histogram>* request_seconds_ = nullptr;
  Gauge* in_flight_ = nullptr;
  mutable std::unique_ptr<std::atomic<Histogram*>[]> by_route_;  // routes x 5 classes, then 5 for no route
  WorkloadCatalog workloads_;
  OperationStore operations_;
  AuditLog audit_;
  EventFeed event_feed_;
  RankAnswerMemo rank_memo_;
  KeyStore keys_;
  RateLimiter rate_limiter_;  // per key, once keys are required
  ApiContext ctx_;
  Router router_;
};

// Excluded providers listed with their reasons in a rank answer unless the
// request's excluded_limit asks for more (or "all"); the rest are counted.
inline constexpr size_t kDefaultExcludedListed = 10;

// Shared by the API and the offline CLI: resolves a rank request body into a
// profile and policy, ranks, and renders the answer.
// `qos` supplies measurements for evidence measured/both; without it such
// profiles are refused. With `memo` (and a `qos`), an identical request
// (`request_text`, the body as sent) over the same evidence is answered from
// it (rank_memo.h). A profile_id names one of `space`'s profiles (a tenant's,
// tenant_space.h).
Result<std::string> RankRequestToJson(Catalog& catalog, const PolicyRegistry& policies, const nlohmann::json& request, const TenantSpace& space,
                                      TimePoint now, QosService* qos = nullptr, RankAnswerMemo* memo = nullptr,
                                      std::string_view request_text = {});

struct CompareOutput {
  std::string body;
  ReportFormat format;
};
// POST /v1/compare and `icbroker compare`: the request's format wins, then
// `negotiated` (from Accept), then JSON.
Result<CompareOutput> CompareRequestTo(Catalog& catalog, const PolicyRegistry& policies, const nlohmann::json& request, const TenantSpace& space,
                                       TimePoint now,
                                       QosService* qos, std::optional<ReportFormat> negotiated = std::nullopt);

}  // namespace icb
