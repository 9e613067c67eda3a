// How adapters call providers over HTTP: a timeout on every call, retries
// with exponential backoff and full jitter on what is worth retrying
// (connection failures, timeouts, 429, 5xx; Retry-After honoured), and
// provider answers mapped onto Status codes.
#pragma once

#include <functional>
#include <random>
#include <string>

#include "broker/core/http_client.h"

namespace icb {

struct RetryPolicy {
  int attempts = 4;            // in all, the first included
  Millis base_delay{100};      // doubled per retry, capped at max_delay
  Millis max_delay{5000};
  Millis timeout{30000};       // per call
  // A throttling answer (429 with Retry-After) is waited out as the provider
  // says, costing no attempt, up to this much waiting per call.
  Millis throttle_budget{300'000};
};

// Waits between retries; injected so tests never sleep.
using Sleeper = std::function<void(Millis)>;
Sleeper RealSleeper();

// 401/403 kPermissionDenied, 404 kNotFound, 409/412 kAlreadyExists, 429/503
// and other 5xx kUnavailable, 400/other 4xx kInvalidArgument. `what` names the
// call (never a credential); the provider's body is kept short.
Status StatusFromHttp(int status, const std::string& what, const std::string& body);

class HttpCaller {
 public:
  HttpCaller(HttpClient& http, RetryPolicy policy, Sleeper sleep, uint64_t seed = std::random_device{}())
      : http_(http), policy_(policy), sleep_(std::move(sleep)), rng_(seed) {}

  // `make` builds (and signs) the request afresh for every attempt; a 2xx
  // answer or `accept`ed status is returned, anything else becomes a Status.
  Result<HttpClientResponse> Call(const std::string& what, const std::function<HttpClientRequest()>& make,
                                  const std::function<bool(int)>& accept = nullptr);

  // The delay before retry `n` (1-based): full jitter over base * 2^(n-1), capped.
  Millis Backoff(int n);

 private:
  HttpClient& http_;
  RetryPolicy policy_;
  Sleeper sleep_;
  std::mt19937_64 rng_;
};

}  // namespace icb
