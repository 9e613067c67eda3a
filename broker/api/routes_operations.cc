#include <nlohmann/json.hpp>

#include "broker/api/routes.h"
#include "broker/core/time.h"
#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/state/retained.h"

namespace icb {

namespace {

// The most events one answer lists (?limit=, default 100).
constexpr size_t kMaxEventsListed = 1000;
// The most operation records one page reads to find its matches (?state=,
// ?kind=): a rare state does not make a page read every operation ever run.
constexpr size_t kMaxOperationsScanned = 10000;

HttpResponse ListOperations(const ApiContext& ctx, const HttpRequest& r) {
  std::vector<FieldError> errors;
  ListQuery q = ParseListQuery(r, errors);
  std::optional<OperationState> state;
  if (auto it = r.query.find("state"); it != r.query.end()) {
    state = OperationStateFromName(it->second);
    if (!state) errors.push_back({"", "state= is pending, running, waiting, succeeded, failed or cancelled, got \"" + it->second.substr(0, 40) + "\""});
  }
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
  const Scope scope = ScopeOf(r);
  auto workload = r.query.find("workload");
  auto kind = r.query.find("kind");
  // The cursor and the workload are the caller's ids; another tenant's form
  // names nothing (an empty page, as for a workload without operations).
  const std::optional<std::string> after = q.after.empty() ? std::optional<std::string>("") : scope.Stored(q.after);
  // Ids in order after the cursor, read a batch at a time until the page is
  // full; the cursor is the last id looked at, matched or not. A workload's
  // are few (its set); every operation's come from the sorted index, only
  // as many as the page can look at.
  const bool filtered = state || kind != r.query.end();
  const size_t bound = filtered ? kMaxOperationsScanned : q.limit;
  IdPage scan;
  const std::optional<std::string> of = workload == r.query.end() ? std::nullopt : scope.Stored(workload->second);
  if (after && of) {
    auto ids = ctx.operations.OfWorkload(*of);
    if (!ids.ok()) return ProblemResponse(ids.status());
    scan = PageIds(std::move(*ids), *after, bound);
  } else if (after && workload == r.query.end()) {
    auto page = ctx.operations.Page(scope, *after, bound);
    if (!page.ok()) return ProblemResponse(page.status());
    scan = std::move(*page);
  }  // else a name in another tenant's form: an empty page
  nlohmann::json list = nlohmann::json::array();
  const auto answer = [&list](const std::optional<std::string>& next) {
    return JsonResponse(200, nlohmann::json{{"operations", std::move(list)}, {"next", next ? nlohmann::json(*next) : nlohmann::json(nullptr)}}.dump());
  };
  const size_t batch = std::min(q.limit, size_t{500});
  for (size_t from = 0; from < scan.ids.size(); from += batch) {
    std::vector<std::string> part(scan.ids.begin() + static_cast<std::ptrdiff_t>(from),
                                  scan.ids.begin() + static_cast<std::ptrdiff_t>(std::min(scan.ids.size(), from + batch)));
    auto ops = ctx.operations.GetMany(part);
    if (!ops.ok()) return ProblemResponse(ops.status());
    for (size_t i = 0; i < part.size(); ++i) {
      const auto& op = (*ops)[i];
      if (!op || !scope.Sees(op->id)) continue;  // removed between the index and the record
      if (state && op->state != *state) continue;
      if (kind != r.query.end() && op->kind != kind->second) continue;
      list.push_back(OperationToJson(*op));
      if (list.size() == q.limit) {
        // Full: the next page starts after this one, unless nothing follows it.
        const bool more = from + i + 1 < scan.ids.size() || scan.next;
        return answer(more ? std::optional<std::string>(part[i]) : std::nullopt);
      }
    }
  }
  return answer(scan.next);  // at the scan's bound, the next page goes on from where it ended
}

// A cursor of the trail a page answered as next, or an event's id in a
// stream: the number of an event (digits, at most 18); errors appended.
std::optional<long long> ParseEventNumber(const std::string& name, const std::string& v, std::vector<FieldError>& errors) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    errors.push_back({"", name + " is the number of an event (digits, at most 18), as a page's next or a streamed event's id; got " +
                              std::to_string(v.size()) + " characters that are not one"});
    return std::nullopt;
  }
  return std::stoll(v);
}

HttpResponse ListEvents(const ApiContext& ctx, const HttpRequest& r) {
  AuditFilter f;
  std::vector<FieldError> errors;
  // The caller's spaces only; the workload and operation it names are its
  // own (another tenant's form names none: an id nothing has).
  const Scope scope = ScopeOf(r);
  f.spaces = scope.Spaces();
  for (auto [name, target] : {std::pair{"workload", &f.workload}, std::pair{"operation", &f.operation}}) {
    if (auto it = r.query.find(name); it != r.query.end() && !it->second.empty())
      *target = scope.Stored(it->second).value_or(std::string(2, kTenantSeparator));
  }
  if (auto it = r.query.find("provider"); it != r.query.end()) f.provider = it->second;
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
  if (auto n = ParseLimit(r, kMaxEventsListed, errors)) f.limit = *n;
  if (auto it = r.query.find("after"); it != r.query.end())
    if (auto n = ParseEventNumber("after=", it->second, errors)) f.after = *n;
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid query", std::move(errors)));
  auto page = ctx.audit.Query(f);
  if (!page.ok()) return ProblemResponse(page.status());
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : page->events) events.push_back(AuditEventToJson(e));
  nlohmann::json next = page->next ? nlohmann::json(std::to_string(*page->next)) : nlohmann::json(nullptr);
  return JsonResponse(200, nlohmann::json{{"events", std::move(events)}, {"next", std::move(next)}}.dump());
}

// GET /v1/events/stream: the caller's events as they are recorded, as
// Server-Sent Events; a client that reconnects sends the last id it got
// (Last-Event-ID, or ?after= where it cannot set a header) and misses
// nothing the trail still keeps.
HttpResponse StreamEvents(const ApiContext& ctx, const HttpRequest& r) {
  std::vector<FieldError> errors;
  std::optional<long long> after;
  if (auto header = r.headers.find("last-event-id"); header != r.headers.end()) after = ParseEventNumber("Last-Event-ID", header->second, errors);
  else if (auto it = r.query.find("after"); it != r.query.end()) after = ParseEventNumber("after=", it->second, errors);
  if (!errors.empty()) return ProblemResponse(InvalidArgument("invalid event stream request", std::move(errors)));
  if (!ctx.events) return ProblemResponse(Unavailable("this broker streams no events"));
  auto stream = ctx.events->Open(ScopeOf(r).Spaces(), after);
  if (!stream.ok()) return ProblemResponse(stream.status());
  HttpResponse answer;
  answer.content_type = "text/event-stream";
  // Not kept by caches, not held back by a proxy (nginx buffers otherwise).
  answer.headers = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
  answer.stream = std::move(*stream);
  return answer;
}

}  // namespace

Scope ScopeOf(const HttpRequest& r) {
  if (!r.caller) return Scope(TenantSpace::Default(), true);
  return Scope(TenantSpace::OfTenant(r.caller->tenant), r.caller->role == Role::kAdmin);
}

std::function<HttpResponse(const HttpRequest&, const PathParams&)> ForCallersId(std::function<Status(const std::string&)> missing, OnStoredId handle) {
  return [missing = std::move(missing), handle = std::move(handle)](const HttpRequest& r, const PathParams& p) {
    const std::string& named = p.at("id");
    const std::optional<std::string> id = ScopeOf(r).Stored(named);
    return id ? handle(r, *id) : ProblemResponse(missing(named));
  };
}

std::string ActorOf(const HttpRequest& r) { return r.caller ? "key:" + r.caller->key_id : "anonymous"; }

Status CheckIdempotencyKey(const std::string& value) {
  bool visible = !value.empty() && value.size() <= 255;
  for (unsigned char c : value) visible = visible && c > 0x20 && c < 0x7f;
  if (visible) return Status::Ok();
  return InvalidArgument("invalid Idempotency-Key header", {{"", "Idempotency-Key is 1 to 255 visible ASCII characters (got " +
                                                                     std::to_string(value.size()) + " bytes)"}});
}

void AddOperationRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "v1/operations", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) { return ListOperations(ctx, r); }});
  auto one = [](OnStoredId handle) { return ForCallersId([](const std::string& id) { return NoOperation(id); }, std::move(handle)); };
  router.Add({"GET", "v1/operations/{id}", Access::kRead, body, one([&ctx](const HttpRequest&, const std::string& id) {
    auto op = ctx.operations.Get(id);
    if (!op.ok()) return ProblemResponse(op.status());
    if (!op->has_value()) return ProblemResponse(NoOperation(id));
    nlohmann::json doc = OperationToJson(**op);
    if ((*op)->kind == "failover") {
      // Its achieved RTO parts beside the drill's prediction, timed from
      // the first failed probe of the detection that started it.
      std::optional<TimePoint> first_failure;
      if ((*op)->request.contains("detected_at")) {
        AuditFilter f;
        f.workload = (*op)->workload;
        f.kind = "detected";
        f.from = (*op)->created_at - std::chrono::hours(1);
        f.to = (*op)->created_at + Millis(1);
        f.limit = 1000;
        auto detected = ctx.audit.Query(f);
        if (!detected.ok()) return ProblemResponse(detected.status());
        if (!detected->events.empty()) first_failure = FirstFailure(detected->events.back());
      }
      doc["rto"] = PredictedAgainstAchieved(**op, first_failure);
    }
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
  })});
  router.Add({"POST", "v1/operations/{id}/cancel", Access::kOperate, body, one([&ctx](const HttpRequest& r, const std::string& id) {
    if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not run operations (started without an orchestrator)"));
    auto op = ctx.orchestrator->Cancel(id, ActorOf(r));
    if (!op.ok()) return ProblemResponse(op.status());
    return JsonResponse(202, nlohmann::json{{"operation", OperationToJson(*op)}}.dump());
  })});
  router.Add({"POST", "v1/operations/{id}/confirm", Access::kOperate, body, one([&ctx](const HttpRequest& r, const std::string& id) {
    if (!ctx.orchestrator) return ProblemResponse(Unavailable("this broker does not run operations (started without an orchestrator)"));
    auto confirmed = ctx.orchestrator->ConfirmMove(id, ActorOf(r));
    if (!confirmed.ok()) return ProblemResponse(confirmed.status());
    return JsonResponse(200, nlohmann::json{{"retained", RetainedToJson(*confirmed)}}.dump());
  })});
  router.Add({"GET", "v1/events", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) { return ListEvents(ctx, r); }});
  router.Add({"GET", "v1/events/stream", Access::kRead, body, [&ctx](const HttpRequest& r, const PathParams&) { return StreamEvents(ctx, r); }});
}

}  // namespace icb
