// The HTTP seam: plain request/response values. Routes are pure functions of
// these; only http_cpprest.cc knows which HTTP library carries them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/auth/access.h"
#include "broker/core/clock.h"
#include "broker/core/http_client.h"
#include "broker/core/status.h"

namespace icb {

struct HttpRequest {
  std::string method;                           // upper case
  std::vector<std::string> path;                // decoded segments of the path
  std::map<std::string, std::string> query;     // decoded; last value wins
  std::map<std::string, std::string> headers;   // lower-case names
  std::string body;
  // Who sent it, once the router has authenticated it (router.h); none when
  // the route is public or authentication is off.
  std::optional<Caller> caller;
  // This request in the logs (router.h: the client's X-Request-Id when it
  // is a usable one, else a new one), echoed in X-Request-Id.
  std::string request_id;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Where a streamed answer's chunks go (ResponseStream). Safe to call from
// any thread. Write is false once the client has gone or reads too slowly
// (more than kMostUnwritten bytes waiting): the writer stops then.
class StreamSink {
 public:
  static constexpr size_t kMostUnwritten = 1 << 20;
  virtual ~StreamSink() = default;
  virtual bool Write(std::string chunk) = 0;
  // Ends the answer (the connection closes after it).
  virtual void End() = 0;
};

// An answer that goes on after its head (Server-Sent Events): the server
// writes the status and headers, then hands Open the sink for the rest.
// Its connection is not reused for another request.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual void Open(std::shared_ptr<StreamSink> sink) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: `body` is ignored and the answer is streamed (chunked).
  std::shared_ptr<ResponseStream> stream;
};

struct HttpHandler {
  // Largest body accepted for a request line; larger ones get 413 unread.
  std::function<size_t(const std::string& method, const std::vector<std::string>& path)> body_limit;
  std::function<HttpResponse(HttpRequest&)> handle;  // may set request.caller
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Port 0 picks a free port; port() tells which.
  virtual Status Start(const std::string& host, int port, HttpHandler handler) = 0;
  virtual void Stop() = 0;
  virtual int port() const = 0;
  // Reads the TLS files again (a renewed certificate): new connections get
  // the new one, open ones keep theirs. On an error the old one stays.
  // FailedPrecondition for a server without TLS.
  virtual Status ReloadTls() = 0;
};

// The server's TLS: PEM files, read at Start and on ReloadTls. TLS 1.2 and
// 1.3 only, forward-secret AEAD cipher suites only.
struct TlsFiles {
  std::string cert_file;       // the certificate chain, leaf first
  std::string key_file;        // its private key (unencrypted)
  std::string client_ca_file;  // set: clients must present a certificate that chains to these CAs
};

// What one client may hold of the server. Every limit is a `serve` flag.
struct HttpServerLimits {
  size_t max_header_bytes = 16 << 10;          // request line and fields; over it: 431 (414 when the line is)
  size_t max_request_line = 8 << 10;           // method, target, version; over it: 414
  size_t max_connections = 10000;              // open at once; also capped by the descriptor limit
  std::chrono::milliseconds header_timeout{10000};  // from a request's first byte to its blank line; then closed
  std::chrono::milliseconds idle_timeout{30000};    // keep-alive connection with no request: closed
  std::chrono::milliseconds body_timeout{30000};    // reading a body, writing an answer
};

// Boost.Beast implementation: `threads` run both I/O and handlers. At the
// connection cap a new connection closes the longest-idle one; when every
// connection is mid-request it gets 503. With `tls`, every connection is
// TLS; one that sends plain HTTP gets a plain 400 problem and is closed.
std::unique_ptr<HttpServer> NewBeastHttpServer(int threads, HttpServerLimits limits = {}, std::optional<TlsFiles> tls = std::nullopt);

// A problem answer for what the transport refused (414, 431).
HttpResponse TransportProblem(int http_status, std::string detail);

// Splits an origin-form request target ("/v1/x%20y?a=1&b=%41") into decoded
// path segments and query parameters. A bad percent escape or text that is
// not UTF-8 once decoded is InvalidArgument (400), never an exception.
Status ParseRequestTarget(std::string_view target, HttpRequest& out);

// An RFC 9457 problem+json response for a non-ok status.
HttpResponse ProblemResponse(const Status& status);
int HttpStatusFor(StatusCode code);

}  // namespace icb
