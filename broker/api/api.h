// HTTP API v1 routes (DESIGN.md "HTTP API v1"): pure request -> response.
#pragma once

#include "broker/api/http.h"
#include "broker/catalog/catalog.h"
#include "broker/core/clock.h"
#include "broker/core/json_writer.h"
#include "broker/qos/service.h"
#include "broker/report/compare.h"
#include "broker/schema/json_input.h"
#include "broker/ranking/policy.h"
#include "broker/store/store.h"

namespace icb {

struct ApiLimits {
  size_t document_body_bytes = 1 << 20;  // providers, SLAs, profiles, events, rank requests
  size_t sample_batch_bytes = 16 << 20;  // POST /v1/qos/samples: 10,000 samples with room for formatting
  JsonLimits json;                       // depth, string, array and object bounds of every JSON body
};

class Api {
 public:
  Api(Store& store, Catalog& catalog, QosService& qos, const PolicyRegistry& policies, const Clock& clock, ApiLimits limits = {});

  HttpResponse Handle(const HttpRequest& request);
  size_t BodyLimit(const std::string& method, const std::vector<std::string>& path) const;
  HttpHandler AsHandler();

 private:
  HttpResponse Health();
  HttpResponse Documents(const HttpRequest& r, Collection c);  // providers, profiles
  HttpResponse Slas(const HttpRequest& r);
  HttpResponse RankRoute(const HttpRequest& r);
  HttpResponse CompareRoute(const HttpRequest& r);
  HttpResponse Samples(const HttpRequest& r);
  HttpResponse Events(const HttpRequest& r);
  HttpResponse ProviderQos(const HttpRequest& r);  // metrics, sla-report

  Store& store_;
  Catalog& catalog_;
  QosService& qos_;
  const PolicyRegistry& policies_;
  const Clock& clock_;
  ApiLimits limits_;
};

// Excluded providers listed with their reasons in a rank answer unless the
// request's excluded_limit asks for more (or "all"); the rest are counted.
inline constexpr size_t kDefaultExcludedListed = 10;

// Shared by the API and the offline CLI: resolves a rank request body into a
// profile and policy, ranks, and renders the answer.
// `qos` supplies measurements for evidence measured/both; without it such
// profiles are refused.
Result<std::string> RankRequestToJson(Catalog& catalog, const PolicyRegistry& policies, const nlohmann::json& request,
                                      TimePoint now, QosService* qos = nullptr);

struct CompareOutput {
  std::string body;
  ReportFormat format;
};
// POST /v1/compare and `icbroker compare`: the request's format wins, then
// `negotiated` (from Accept), then JSON.
Result<CompareOutput> CompareRequestTo(Catalog& catalog, const PolicyRegistry& policies, const nlohmann::json& request, TimePoint now,
                                       QosService* qos, std::optional<ReportFormat> negotiated = std::nullopt);

}  // namespace icb
