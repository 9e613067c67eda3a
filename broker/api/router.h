// The route table: each route is a method, a path pattern ("v1/providers/
// {id}/slas"), who may call it, a body limit and a handler. The router
// answers what no route claims (404, and 405 with Allow when the path
// exists under another method), authenticates every request to a route
// that is not public (401 without a live key, 403 for a role its access
// does not permit) before its handler runs, and runs every request through
// one hook pair where request metrics go.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/api/http.h"
#include "broker/auth/access.h"
#include "broker/auth/rate_limiter.h"

namespace icb {

// Values of a route's {name} segments, by name.
using PathParams = std::map<std::string, std::string, std::less<>>;

struct Route {
  std::string method;
  std::string pattern;  // segments separated by '/', "{name}" matches any one segment
  Access access;        // no default: every route says who may call it
  size_t body_limit = 0;
  std::function<HttpResponse(const HttpRequest&, const PathParams&)> handle;
};

// Who the key a request presents (its `Authorization: Bearer` token, ""
// when none) names: Unauthenticated (401) for anything but a live key.
using Authenticate = std::function<Result<Caller>(std::string_view token)>;
// Runs before a matched route's handler, once the caller is known; an
// answer it returns is final (a rate limit).
using BeforeRoute = std::function<std::optional<HttpResponse>(const HttpRequest&, const Route&)>;
// Runs after every answer, with the route (null when none matched) and the
// time the handler took (request metrics, access logs).
using AfterRoute = std::function<void(const HttpRequest&, const Route*, const HttpResponse&, std::chrono::nanoseconds)>;

class Router {
 public:
  explicit Router(size_t default_body_limit) : default_body_limit_(default_body_limit) {}

  void Add(Route route);
  void SetHooks(BeforeRoute before, AfterRoute after);
  // Requests to routes that are not public need a key from now on; without
  // this call every request is answered as the caller it carries (none).
  void RequireKeys(Authenticate authenticate) { authenticate_ = std::move(authenticate); }
  // With keys: a request over its key's rate is 429 with Retry-After, before
  // the route runs. Null: no limit. `limiter` outlives the router's use.
  void LimitRate(RateLimiter* limiter) { limiter_ = limiter; }

  // Sets request.caller when the route needed a key, and request.request_id:
  // every answer carries it in X-Request-Id and a problem body as request_id.
  HttpResponse Handle(HttpRequest& request) const;
  // The body limit of the route a request line would reach (the default
  // when none would): larger bodies are refused unread.
  size_t BodyLimit(const std::string& method, const std::vector<std::string>& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{name}" for parameters
  };
  bool Match(const Compiled& c, const std::vector<std::string>& path, PathParams* params) const;
  Status Authorize(HttpRequest& request, const Route& route) const;

  size_t default_body_limit_;
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // parallel to routes_
  Authenticate authenticate_;
  RateLimiter* limiter_ = nullptr;
  BeforeRoute before_;
  AfterRoute after_;
};

// A JSON answer; and 405 naming the allowed methods.
HttpResponse JsonResponse(int status, std::string body);

// A request's id: the client's X-Request-Id when it is 1 to 128 of
// [A-Za-z0-9._:-] (a tracing header from a proxy or a client), else a new
// random one (16 hex digits). Never refused: it only names the request.
std::string RequestIdFor(std::string_view sent);
HttpResponse MethodNotAllowed(const std::vector<std::string>& allowed);

}  // namespace icb
