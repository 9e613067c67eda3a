#include "broker/api/api.h"

namespace icb {

Api::Api(Store& store, Catalog& catalog, QosService& qos, const PolicyRegistry& policies, const Clock& clock, ApiLimits limits,
         Orchestrator* orchestrator, Detector* detector, CredentialAdmin* credentials, AudienceMeter* audiences)
    : workloads_(catalog, store, clock),
      operations_(store),
      audit_(store),
      rank_memo_(limits.rank_answer_reuse),
      keys_(store, clock),
      rate_limiter_(clock, limits.per_key),
      ctx_{store, catalog, qos, policies, clock, limits, workloads_, operations_, audit_, orchestrator, detector, &rank_memo_, keys_, credentials, audiences},
      router_(limits.document_body_bytes) {
  // The one place routes are registered, area by area.
  AddHealthRoutes(router_, ctx_);
  AddCatalogRoutes(router_, ctx_);
  AddQosRoutes(router_, ctx_);
  AddRankRoutes(router_, ctx_);
  AddWorkloadRoutes(router_, ctx_);
  AddMigrationRoutes(router_, ctx_);
  AddOperationRoutes(router_, ctx_);
  AddKeyRoutes(router_, ctx_);
  AddCredentialRoutes(router_, ctx_);
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
