#include "broker/api/router.h"

#include "broker/auth/tenant_space.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>
#include <string_view>

#include <nlohmann/json.hpp>

namespace icb {

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse MethodNotAllowed(const std::vector<std::string>& allowed) {
  std::string allow;
  for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
  nlohmann::json p = {{"type", "urn:icbroker:problem:method-not-allowed"},
                      {"title", "Method not allowed"},
                      {"status", 405},
                      {"detail", "allowed: " + allow},
                      {"errors", nlohmann::json::array()}};
  return HttpResponse{405, "application/problem+json", p.dump(), {{"Allow", allow}}, nullptr};
}

void Router::Add(Route route) {
  Compiled c;
  size_t at = 0;
  // The empty pattern is the root, "/", with no segments.
  while (!route.pattern.empty() && at <= route.pattern.size()) {
    size_t slash = route.pattern.find('/', at);
    if (slash == std::string::npos) slash = route.pattern.size();
    c.segments.push_back(route.pattern.substr(at, slash - at));
    at = slash + 1;
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
}

void Router::SetHooks(BeforeRoute before, AfterRoute after) {
  before_ = std::move(before);
  after_ = std::move(after);
}

namespace {

// The token of an `Authorization: Bearer TOKEN` value (RFC 6750: the scheme
// is case-insensitive); "" for any other form.
std::string_view BearerToken(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

}  // namespace

Status Router::Authorize(HttpRequest& r, const Route& route) const {
  if (!authenticate_ || route.access == Access::kPublic) return Status::Ok();
  const std::string authorization = r.Header("authorization");
  auto caller = authenticate_(BearerToken(authorization));
  if (!caller.ok()) return caller.status();
  if (!Permits(caller->role, route.access))
    return PermissionDenied("a " + std::string(RoleName(caller->role)) + " key may not " + r.method + " this route (it needs " +
                            std::string(AccessName(route.access)) + " access)");
  r.caller = std::move(*caller);
  return Status::Ok();
}

bool Router::Match(const Compiled& c, const std::vector<std::string>& path, PathParams* params) const {
  if (c.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& s = c.segments[i];
    if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      if (params) (*params)[s.substr(1, s.size() - 2)] = path[i];
    } else if (s != path[i]) {
      return false;
    }
  }
  return true;
}

size_t Router::BodyLimit(const std::string& method, const std::vector<std::string>& path) const {
  for (size_t i = 0; i < routes_.size(); ++i)
    if (routes_[i].method == method && Match(compiled_[i], path, nullptr)) return routes_[i].body_limit;
  return default_body_limit_;
}

std::string RequestIdFor(std::string_view sent) {
  const bool usable = !sent.empty() && sent.size() <= 128 && std::all_of(sent.begin(), sent.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
  });
  if (usable) return std::string(sent);
  thread_local std::mt19937_64 random(std::random_device{}());
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(random()));
  return id;
}

HttpResponse Router::Handle(HttpRequest& r) const {
  const auto started = std::chrono::steady_clock::now();
  r.request_id = RequestIdFor(r.Header("x-request-id"));
  const Route* matched = nullptr;
  PathParams params;
  std::vector<std::string> allowed;
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (!Match(compiled_[i], r.path, nullptr)) continue;
    if (routes_[i].method == r.method) {
      matched = &routes_[i];
      Match(compiled_[i], r.path, &params);
      break;
    }
    if (std::find(allowed.begin(), allowed.end(), routes_[i].method) == allowed.end()) allowed.push_back(routes_[i].method);
  }
  HttpResponse resp;
  try {
    if (!matched) {
      if (!allowed.empty()) {
        resp = MethodNotAllowed(allowed);
      } else {
        std::string path;
        for (const auto& s : r.path) path += "/" + s;
        resp = ProblemResponse(NotFound("no route " + r.method + " " + (path.empty() ? "/" : path)));
      }
    } else if (Status denied = Authorize(r, *matched); !denied.ok()) {
      resp = ProblemResponse(denied);
    } else if (auto wait = limiter_ && r.caller ? limiter_->Take(r.caller->key_id) : std::nullopt) {
      const long long seconds = std::max<long long>(1, (wait->count() + 999) / 1000);
      resp = ProblemResponse(Status(StatusCode::kRateLimited, "key " + r.caller->key_id + " is over its request rate; retry in " +
                                                                  std::to_string(seconds) + " s"));
      for (auto& [name, value] : resp.headers)
        if (name == "Retry-After") value = std::to_string(seconds);
    } else if (auto refused = before_ ? before_(r, *matched) : std::nullopt) {
      resp = std::move(*refused);
    } else {
      resp = matched->handle(r, params);
    }
  } catch (const std::exception& e) {
    // A bug, not bad input: say so, and keep serving.
    resp = ProblemResponse(Internal(std::string("unexpected error: ") + e.what()));
  }
  if (r.caller) {
    // The caller's ids as it names them (tenant_space.h): what the broker
    // stores as "acme~web" is "web" to acme.
    const TenantSpace space = TenantSpace::OfTenant(r.caller->tenant);
    if (!space.is_default()) {
      resp.body = space.Unscope(resp.body);
      for (auto& [name, value] : resp.headers) value = space.Unscope(value);
    }
  }
  resp.headers.emplace_back("X-Request-Id", r.request_id);
  // The id in the problem itself, for a client that keeps bodies, not headers.
  if (resp.content_type == "application/problem+json" && resp.body.size() > 1 && resp.body.back() == '}')
    resp.body.insert(resp.body.size() - 1, ",\"request_id\":\"" + r.request_id + "\"");
  if (after_) after_(r, matched, resp, std::chrono::steady_clock::now() - started);
  return resp;
}

}  // namespace icb
