#include <string_view>

#include "broker/api/routes.h"
#include "broker/core/embedded.h"

namespace icb {
namespace {

std::string_view ContentTypeOf(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

HttpResponse ConsoleFile(std::string_view name) {
  for (const auto& f : EmbeddedConsole()) {
    if (f.path != name) continue;
    HttpResponse r;
    r.content_type = std::string(ContentTypeOf(name));
    r.body = std::string(f.content);
    // Nothing but this broker's own page, script, style and API: no inline
    // script, no other origin, not framed (the console holds a key).
    r.headers = {{"Content-Security-Policy",
                  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"},
                 {"Cache-Control", "no-cache"}};
    return r;
  }
  return ProblemResponse(NotFound("the console has no file " + std::string(name) + " (it serves index.html, console.js and console.css)"));
}

}  // namespace

void AddConsoleRoutes(Router& router, const ApiContext& ctx) {
  const size_t body = ctx.limits.document_body_bytes;
  router.Add({"GET", "ui", Access::kPublic, body, [](const HttpRequest&, const PathParams&) { return ConsoleFile("index.html"); }});
  router.Add({"GET", "ui/{file}", Access::kPublic, body, [](const HttpRequest&, const PathParams& p) { return ConsoleFile(p.at("file")); }});
}

}  // namespace icb
