// The outbound HTTP port: probes and provider adapters send requests through
// it. One implementation (cpprestsdk, broker/api/http_cpprest.cc); tests may
// use their own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/clock.h"
#include "broker/core/status.h"

namespace icb {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;  // already percent-encoded: sent exactly as given
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Millis timeout{30000};
};

struct HttpClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  // The first header of that (lower-case) name; empty when absent.
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a response; Unavailable when no connection could be
  // made, DeadlineExceeded on timeout.
  virtual Result<HttpClientResponse> Send(const HttpClientRequest& request) = 0;
  Result<HttpClientResponse> Get(const std::string& url, Millis timeout) { return Send({"GET", url, {}, "", timeout}); }
};

// `ca_file`: https:// servers must chain to these CAs (PEM) instead of the
// system's (a broker's own CA: icbroker migrate --cacert).
std::unique_ptr<HttpClient> NewCpprestHttpClient(std::string ca_file = "");

// cpprestsdk does every client's socket work on one process-wide pool of
// threads, 40 by default, started by the first request (a replica that took
// the lead grew from 9 threads to 50, each with its stack and its cache of
// freed blocks). Send blocks its caller's own thread until the answer is in,
// so the pool only moves bytes and a few threads serve every call in flight.
// Sets the pool's size; only before the first request (false after, and
// nothing changes). Its threads take no process signals.
bool SetHttpClientIoThreads(size_t threads);

}  // namespace icb
