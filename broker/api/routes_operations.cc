#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/time.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/state/retained.h"

namespace icb {

namespace {

// The most events one answer lists (?limit=, default 100).
constexpr size_t kMaxEventsListed = 1000;

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

HttpResponse ListEvents(const ApiContext& ctx, const HttpRequest& r) {
  AuditFilter f;
  std::vector<FieldError> errors;
  for (auto [name, target] : {std::pair{"workload", &f.workload}, std::pair{"operation", &f.operation}, std::pair{"provider", &f.provider}}) {
    if (auto it = r.query.find(name); it != r.query.end()) *target = it->second;
  }
  if (auto it = r.query.find("kind"); it != r.query.end()) {
    if (!IsAuditKind(it->second)) {
      std::string known;
      for (const char* k : kAuditKinds) known += std::string(known.empty() ? "" : ", ") + k;
      errors.push_back({"", "kind= is one of " + known + ", got \"" + it->second + "\""});
    }
    f.kind = it->second;
  }
  for (auto [name, target] : {std::pair{"from", &f.from}, std::pair{"to", &f.to}}) {
    auto it = r.query.find(name);
    if (it == r.query.end()) continue;
    std::string why;
    auto t = ParseRfc3339(it->second, &why);
    if (!t) errors.push_back({"", std::string(name) + "= is not an RFC 3339 date-time: " + why});
    else *target = *t;
  }
  if (auto it = r.query.find("limit"); it != r.query.end()) {
    const std::string& v = it->second;
    const bool digits = !v.empty() && v.size() <= 4 && v.find_first_not_of("0123456789") == std::string::npos;
    const long n = digits ? std::stol(v) : 0;
    if (n < 1 || n > static_cast<long>(kMaxEventsListed)) errors.push_back({"", "limit= is an integer from 1 to " + std::to_string(kMaxEventsListed) + ", got \"" + v + "\""});
    else f.limit = static_cast<size_t>(n);
  }
  if (auto it = r.query.find("after"); it != r.query.end()) {
    // A cursor this route answered: the number of an event (at most 18 digits).
    const std::string& v = it->second;
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      errors.push_back({"", "after= is a cursor a page answered as next (digits, at most 18), got " + std::to_string(v.size()) + " characters that are not one"});
    else f.after = std::stoll(v);
  }
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
  auto page = ctx.audit.Query(f);
  if (!page.ok()) return ProblemResponse(page.status());
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : page->events) events.push_back(AuditEventToJson(e));
  nlohmann::json next = page->next ? nlohmann::json(std::to_string(*page->next)) : nlohmann::json(nullptr);
  return JsonResponse(200, nlohmann::json{{"events", std::move(events)}, {"next", std::move(next)}}.dump());
}

}  // namespace

Status CheckIdempotencyKey(const std::string& value) {
  bool visible = !value.empty() && value.size() <= 255;
  for (unsigned char c : value) visible = visible && c > 0x20 && c < 0x7f;
  if (visible) return Status::Ok();
  return InvalidArgument("invalid Idempotency-Key header", {{"", "Idempotency-Key is 1 to 255 visible ASCII characters (got " +
                                                                     std::to_string(value.size()) + " bytes)"}});
}

void AddOperationRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "v1/operations", body, [&ctx](const HttpRequest& r, const PathParams&) { return ListOperations(ctx, r); }});
  router.Add({"GET", "v1/operations/{id}", body, [&ctx](const HttpRequest&, const PathParams& p) {
    auto op = ctx.operations.Get(p.at("id"));
    if (!op.ok()) return ProblemResponse(op.status());
    if (!op->has_value()) return ProblemResponse(NotFound("no operation " + p.at("id")));
    nlohmann::json doc = OperationToJson(**op);
    if ((*op)->kind == "migration" || (*op)->kind == "replication") {
      // As the data mover last recorded it (every half second while it copies).
      auto progress = GetMigrationProgress(ctx.store, (*op)->id);
      if (!progress.ok()) return ProblemResponse(progress.status());
      if (*progress) doc["progress"] = MigrationProgressToJson(**progress);
      auto retained = GetRetained(ctx.store, (*op)->id);
      if (!retained.ok()) return ProblemResponse(retained.status());
      if (*retained) doc["retained"] = RetainedToJson(**retained);
    }
    return JsonResponse(200, doc.dump());
  }});
  router.Add({"POST", "v1/operations/{id}/cancel", body, [&ctx](const HttpRequest&, const PathParams& p) {
    if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not run operations (started without an orchestrator)"));
    auto op = ctx.orchestrator->Cancel(p.at("id"));
    if (!op.ok()) return ProblemResponse(op.status());
    return JsonResponse(202, nlohmann::json{{"operation", OperationToJson(*op)}}.dump());
  }});
  router.Add({"POST", "v1/operations/{id}/confirm", body, [&ctx](const HttpRequest&, const PathParams& p) {
    if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not run operations (started without an orchestrator)"));
    auto r = ctx.orchestrator->ConfirmMove(p.at("id"));
    if (!r.ok()) return ProblemResponse(r.status());
    return JsonResponse(200, nlohmann::json{{"retained", RetainedToJson(*r)}}.dump());
  }});
  router.Add({"GET", "v1/events", body, [&ctx](const HttpRequest& r, const PathParams&) { return ListEvents(ctx, r); }});
}

}  // namespace icb
