// The only translation unit that includes cpprestsdk (archived upstream, and
// heavy to compile): the HTTP client behind the HttpClient port (probes,
// adapters). The server is Boost.Beast (http_beast.cc): cpprestsdk's listener
// could bound neither headers nor connections.
#include <cpprest/http_client.h>
#include <cpprest/uri.h>
#include <pplx/threadpool.h>

#include <signal.h>

#include <algorithm>

#include "broker/api/http.h"

namespace icb {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class CpprestHttpClient final : public HttpClient {
 public:
  explicit CpprestHttpClient(std::string ca_file) : ca_file_(std::move(ca_file)) {}
  Result<HttpClientResponse> Send(const HttpClientRequest& request) override {
    try {
      web::uri uri(request.url);
      web::http::client::http_client_config cfg;
      cfg.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(request.timeout));
      if (!ca_file_.empty()) {
        // Only these CAs (the host name is still checked by cpprestsdk).
        cfg.set_ssl_context_callback([ca = ca_file_](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca); });
      }
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

 private:
  std::string ca_file_;
};

}  // namespace

std::unique_ptr<HttpClient> NewCpprestHttpClient(std::string ca_file) { return std::make_unique<CpprestHttpClient>(std::move(ca_file)); }

bool SetHttpClientIoThreads(size_t threads) {
  // The pool's threads start here and inherit this thread's signal mask:
  // all blocked, so a SIGTERM meant for the process's sigwait (serve) is
  // never taken by one of them with the default action (ending the process
  // uncleanly).
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  bool started = true;
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception&) {
    started = false;  // already started
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return started;
}

}  // namespace icb
