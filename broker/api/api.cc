#include "broker/api/api.h"

#include <algorithm>

namespace icb {

Api::Api(Store& store, Catalog& catalog, QosService& qos, const PolicyRegistry& policies, const Clock& clock, ApiLimits limits,
         Orchestrator* orchestrator, Detector* detector, CredentialAdmin* credentials, AudienceMeter* audiences, MetricRegistry* metrics,
         const Logger* log)
    : log_(log),
      own_metrics_(metrics ? nullptr : std::make_unique<MetricRegistry>()),
      metrics_(metrics ? *metrics : *own_metrics_),
      workloads_(catalog, store, clock),
      operations_(store),
      audit_(store),
      event_feed_(audit_, EventFeedOptions{limits.events_every}),
      rank_memo_(limits.rank_answer_reuse),
      keys_(store, clock),
      rate_limiter_(clock, limits.per_key),
      ctx_{store, catalog, qos, policies, clock, limits, workloads_, operations_, audit_, &event_feed_, orchestrator, detector, &rank_memo_, keys_, credentials, audiences, metrics_},
      router_(limits.document_body_bytes) {
  // The one place routes are registered, area by area.
  AddHealthRoutes(router_, ctx_);
  AddCatalogRoutes(router_, ctx_);
  AddQosRoutes(router_, ctx_);
  AddRankRoutes(router_, ctx_);
  AddWorkloadRoutes(router_, ctx_);
  AddMigrationRoutes(router_, ctx_);
  AddOperationRoutes(router_, ctx_);
  AddDrillRoutes(router_, ctx_);
  AddKeyRoutes(router_, ctx_);
  AddCredentialRoutes(router_, ctx_);
  AddConsoleRoutes(router_, ctx_);
  // Declared once per registry (a second Api over the same one counts no requests).
  if (auto family = metrics_.AddHistogram("icbroker_http_request_duration_seconds",
                                          "HTTP requests from routing to their answer ready (the broker's time, not the network's), by route template, method and status "
                                          "class (route \"unmatched\" and method \"other\" where none matched).",
                                          DurationBuckets(), {"route", "method", "code"});
      family.ok())
    request_seconds_ = *family;
  if (auto family = metrics_.AddGauge("icbroker_http_requests_in_flight", "HTTP requests being answered now."); family.ok())
    in_flight_ = &(*family)->With({});
  by_route_.reset(new std::atomic<Histogram*>[(router_.routes().size() + 1) * 5]);
  for (size_t i = 0; i < (router_.routes().size() + 1) * 5; ++i) by_route_[i].store(nullptr);
  router_.SetHooks(nullptr, [this](const HttpRequest& request, const Route* route, const HttpResponse& answer, std::chrono::nanoseconds took) {
    CountRequest(route, answer.status, took);
    if (answer.status >= 500) LogFailure(request, route, answer);
  });
}

HttpResponse Api::Handle(HttpRequest& request) const {
  if (in_flight_) in_flight_->Add(1);
  HttpResponse answer = router_.Handle(request);
  if (in_flight_) in_flight_->Add(-1);
  return answer;
}

void Api::LogFailure(const HttpRequest& request, const Route* route, const HttpResponse& answer) const {
  if (!log_) return;
  std::string detail;
  if (answer.content_type == "application/problem+json")
    if (auto problem = nlohmann::json::parse(answer.body, nullptr, false); problem.is_object()) detail = problem.value("detail", "");
  log_->Log(LogLevel::kError, "request answered " + std::to_string(answer.status),
            {{"request_id", request.request_id}, {"method", request.method}, {"route", route ? "/" + route->pattern : "unmatched"},
             {"status", std::to_string(answer.status)}, {"detail", detail}});
}

void Api::CountRequest(const Route* route, int status, std::chrono::nanoseconds took) const {
  if (!request_seconds_) return;
  const size_t klass = static_cast<size_t>(std::clamp(status / 100, 1, 5) - 1);
  const size_t index = route ? static_cast<size_t>(route - router_.routes().data()) : router_.routes().size();
  std::atomic<Histogram*>& slot = by_route_[index * 5 + klass];
  Histogram* h = slot.load(std::memory_order_acquire);
  if (!h) {
    // Client-sent methods and paths never become labels: only the routes'.
    h = &request_seconds_->With({route ? "/" + route->pattern : "unmatched", route ? route->method : "other", std::to_string(klass + 1) + "xx"});
    slot.store(h, std::memory_order_release);
  }
  h->Observe(std::chrono::duration<double>(took).count());
}

void Api::RequireKeys() {
  router_.RequireKeys([this](std::string_view token) { return keys_.Authenticate(token); });
  router_.LimitRate(&rate_limiter_);
}

HttpHandler Api::AsHandler() const {
  return HttpHandler{[this](const std::string& m, const std::vector<std::string>& p) { return BodyLimit(m, p); },
                     [this](HttpRequest& r) { return Handle(r); }};
}

}  // namespace icb
