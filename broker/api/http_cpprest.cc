// The only translation unit that includes cpprestsdk (archived upstream, and
// heavy to compile): everything else sees HttpRequest/HttpResponse and the
// HttpClient port.
#include <cpprest/http_client.h>
#include <cpprest/http_listener.h>
#include <cpprest/uri.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <mutex>

#include "broker/api/gzip.h"
#include "broker/api/http.h"

namespace icb {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Runs `next` on the thread that completes `task` instead of queueing it as
// a new job on cpprestsdk's pool: each `then` is a hand-off between threads,
// and a request already takes several inside cpprestsdk. `_Then` with
// _ForceInline is pplx's inline continuation, the one cpprestsdk uses for its
// own streams (its 2.10 API is frozen); `next` must not wait on other tasks.
template <typename T, typename F>
void ObserveInline(const pplx::task<T>& task, F&& next) {
  task._Then(std::forward<F>(next), nullptr, pplx::details::_ForceInline);
}

void Reply(http_request& req, HttpResponse r) {
  http_response resp(static_cast<web::http::status_code>(r.status));
  for (const auto& [k, v] : r.headers) resp.headers().add(k, v);
  resp.set_body(std::move(r.body), r.content_type);  // moved, not copied: answers can be tens of KiB
  ObserveInline(req.reply(resp), [](pplx::task<void> t) {
    try { t.get(); } catch (...) {}  // the client went away; nothing to do
  });
}

// Smaller answers are not worth compressing.
constexpr size_t kGzipFrom = 1024;

class CpprestHttpServer final : public HttpServer {
 public:
  explicit CpprestHttpServer(int threads) {
    // The size of cpprestsdk's shared pool is fixed at its first use.
    static std::once_flag once;
    std::call_once(once, [threads] { crossplat::threadpool::initialize_with_threads(static_cast<size_t>(threads)); });
  }
  ~CpprestHttpServer() override { Stop(); }

  Status Start(const std::string& host, int port, HttpHandler handler) override {
    handler_ = std::move(handler);
    http_listener_config cfg;
    cfg.set_backlog(1024);
    try {
      listener_ = std::make_unique<http_listener>(web::uri("http://" + host + ":" + std::to_string(port)), cfg);
      listener_->support([this](http_request req) { Serve(std::move(req)); });
      listener_->open().wait();
    } catch (const std::exception& e) {
      listener_.reset();
      return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + e.what());
    }
    port_ = port;
    return Status::Ok();
  }

  int port() const override { return port_; }

  void Stop() override {
    if (!listener_) return;
    try { listener_->close().wait(); } catch (...) {}
    listener_.reset();
  }

 private:
  void Serve(http_request req) {
    HttpRequest r;
    r.method = req.method();
    const auto& uri = req.relative_uri();
    for (const auto& seg : web::uri::split_path(uri.path())) r.path.push_back(web::uri::decode(seg));
    for (const auto& [k, v] : web::uri::split_query(uri.query())) r.query[web::uri::decode(k)] = web::uri::decode(v);
    for (const auto& [k, v] : req.headers()) r.headers[Lower(k)] = v;

    size_t limit = handler_.body_limit(r.method, r.path);
    auto too_large = [&] {
      return ProblemResponse(Status(StatusCode::kResourceExhausted, "request body exceeds the limit of " + std::to_string(limit) + " bytes"));
    };
    // Refuse on the declared length before reading anything.
    if (req.headers().content_length() > limit) {
      Reply(req, too_large());
      return;
    }
    // Once the whole body is in (at once for bodiless requests), on the thread that read it.
    ObserveInline(pplx::create_task(req._get_impl()->_get_data_available()),
        [this, req, r = std::move(r), limit, too_large](pplx::task<utility::size64_t> arrived) mutable {
          try {
            arrived.get();  // throws when reading the body failed
            auto bytes = req._get_impl()->_extract_vector();
            if (bytes.size() > limit) {
              Reply(req, too_large());
              return;
            }
            r.body.assign(bytes.begin(), bytes.end());
            HttpResponse resp = handler_.handle(r);
            // Large answers go gzipped to clients that accept it: fewer bytes
            // through cpprestsdk's chunked writer, and over the network.
            if (resp.body.size() >= kGzipFrom) {
              auto accept = r.headers.find("accept-encoding");
              if (accept != r.headers.end() && AcceptsGzip(accept->second)) {
                if (auto packed = Gzip(resp.body)) {
                  resp.body = std::move(*packed);
                  resp.headers.emplace_back("Content-Encoding", "gzip");
                }
              }
              resp.headers.emplace_back("Vary", "Accept-Encoding");
            }
            Reply(req, std::move(resp));
          } catch (const std::exception& e) {
            Reply(req, ProblemResponse(InvalidArgument(std::string("cannot read request body: ") + e.what())));
          }
        });
  }

  HttpHandler handler_;
  std::unique_ptr<http_listener> listener_;
  int port_ = 0;
};

class CpprestHttpClient final : public HttpClient {
 public:
  Result<HttpClientResponse> Send(const HttpClientRequest& request) override {
    try {
      web::uri uri(request.url);
      web::http::client::http_client_config cfg;
      cfg.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(request.timeout));
      // The scheme, host and port; the path and query go on the request as given.
      web::http::client::http_client client(web::uri_builder().set_scheme(uri.scheme()).set_host(uri.host()).set_port(uri.port()).to_uri(), cfg);
      web::http::http_request req(web::http::method(request.method));
      std::string target = uri.path().empty() ? "/" : uri.path();
      if (!uri.query().empty()) target += "?" + uri.query();
      req.set_request_uri(web::uri(target));
      std::string content_type;
      for (const auto& [k, v] : request.headers) {
        if (Lower(k) == "content-type") content_type = v;
        else req.headers().add(k, v);
      }
      if (!request.body.empty() || request.method == "PUT" || request.method == "POST") {
        // The body as bytes, with exactly the content type the caller signed (none: no header).
        req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
        if (content_type.empty()) req.headers().remove(web::http::header_names::content_type);
        else req.headers().set_content_type(content_type);
      } else if (!content_type.empty()) {
        req.headers().set_content_type(content_type);
      }
      auto resp = client.request(req).get();
      HttpClientResponse out;
      out.status = resp.status_code();
      for (const auto& [k, v] : resp.headers()) out.headers.emplace_back(Lower(k), v);
      auto bytes = resp.extract_vector().get();  // the whole body: response time includes it
      out.body.assign(bytes.begin(), bytes.end());
      return out;
    } catch (const web::http::http_exception& e) {
      std::string what = e.what();
      bool timed_out = e.error_code() == std::errc::timed_out || what.find("timed out") != std::string::npos ||
                       what.find("Timed out") != std::string::npos;
      return timed_out ? Status(StatusCode::kDeadlineExceeded, "timeout: " + what) : Unavailable("connect: " + what);
    } catch (const std::exception& e) {
      return Unavailable(std::string("connect: ") + e.what());
    }
  }
};

}  // namespace

std::unique_ptr<HttpClient> NewCpprestHttpClient() { return std::make_unique<CpprestHttpClient>(); }

std::unique_ptr<HttpServer> NewCpprestHttpServer(int threads) { return std::make_unique<CpprestHttpServer>(threads); }

}  // namespace icb
