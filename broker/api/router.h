// The route table: each route is a method, a path pattern ("v1/providers/
// {id}/slas"), a body limit and a handler. The router answers what no route
// claims (404, and 405 with Allow when the path exists under another
// method), and runs every request through one hook pair where
// authentication and request metrics go.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/api/http.h"

namespace icb {

// Values of a route's {name} segments, by name.
using PathParams = std::map<std::string, std::string, std::less<>>;

struct Route {
  std::string method;
  std::string pattern;  // segments separated by '/', "{name}" matches any one segment
  size_t body_limit = 0;
  std::function<HttpResponse(const HttpRequest&, const PathParams&)> handle;
};

// Runs before a matched route's handler; an answer it returns is final
// (authentication refusing a request, a rate limit).
using BeforeRoute = std::function<std::optional<HttpResponse>(const HttpRequest&, const Route&)>;
// Runs after every answer, with the route (null when none matched) and the
// time the handler took (request metrics, access logs).
using AfterRoute = std::function<void(const HttpRequest&, const Route*, const HttpResponse&, std::chrono::nanoseconds)>;

class Router {
 public:
  explicit Router(size_t default_body_limit) : default_body_limit_(default_body_limit) {}

  void Add(Route route);
  void SetHooks(BeforeRoute before, AfterRoute after);

  HttpResponse Handle(const HttpRequest& request) const;
  // The body limit of the route a request line would reach (the default
  // when none would): larger bodies are refused unread.
  size_t BodyLimit(const std::string& method, const std::vector<std::string>& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{name}" for parameters
  };
  bool Match(const Compiled& c, const std::vector<std::string>& path, PathParams* params) const;

  size_t default_body_limit_;
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // parallel to routes_
  BeforeRoute before_;
  AfterRoute after_;
};

// A JSON answer; and 405 naming the allowed methods.
HttpResponse JsonResponse(int status, std::string body);
HttpResponse MethodNotAllowed(const std::vector<std::string>& allowed);

}  // namespace icb
