#include "broker/ports/http_calls.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace icb {

Sleeper RealSleeper() {
  return [](Millis d) { std::this_thread::sleep_for(d); };
}

Status StatusFromHttp(int status, const std::string& what, const std::string& body) {
  std::string detail = body.size() > 300 ? body.substr(0, 300) + "..." : body;
  std::string message = what + ": HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  if (status == 401 || status == 403) return Status(StatusCode::kPermissionDenied, message);
  if (status == 404) return Status(StatusCode::kNotFound, message);
  if (status == 409 || status == 412) return Status(StatusCode::kAlreadyExists, message);
  if (status == 429 || status >= 500) return Status(StatusCode::kUnavailable, message);
  return Status(StatusCode::kInvalidArgument, message);
}

Millis HttpCaller::Backoff(int n) {
  double cap = static_cast<double>(policy_.base_delay.count()) * static_cast<double>(1LL << std::min(n - 1, 20));
  cap = std::min(cap, static_cast<double>(policy_.max_delay.count()));
  std::uniform_real_distribution<double> u(0.0, cap);
  return Millis(static_cast<long long>(u(rng_)));
}

Result<HttpClientResponse> HttpCaller::Call(const std::string& what, const std::function<HttpClientRequest()>& make,
                                            const std::function<bool(int)>& accept) {
  Status last = Status::Ok();
  Millis throttled{0};  // waited out so far on the provider's word
  for (int attempt = 1; attempt <= policy_.attempts; ++attempt) {
    HttpClientRequest req = make();
    req.timeout = policy_.timeout;
    auto resp = http_.Send(req);
    Millis wait{0};
    if (resp.ok()) {
      int s = resp->status;
      if (s >= 200 && s < 300) return resp;
      // Retry-After in seconds (the HTTP-date form is treated as no hint).
      std::string after = resp->Header("retry-after");
      const bool told = !after.empty() && after.size() < 9 && std::all_of(after.begin(), after.end(), ::isdigit);
      const Millis asked = told ? std::max(Millis(std::atoll(after.c_str()) * 1000), policy_.base_delay) : Millis(0);
      // Throttled (RFC 6585: 429 with when to come back): a control plane's
      // normal answer under load. Waited out as asked, with the same request
      // (and idempotency key); it costs no attempt, only time.
      if (s == 429 && told && throttled + asked <= policy_.throttle_budget) {
        throttled += asked;
        sleep_(asked);
        --attempt;
        continue;
      }
      if (accept && accept(s)) return resp;
      last = StatusFromHttp(s, what, resp->body);
      if (s != 429 && s < 500) return last;  // the request itself is wrong: retrying will not help
      if (told) wait = std::min(asked, policy_.max_delay);
    } else {
      last = Status(resp.status().code(), what + ": " + resp.status().message());
    }
    if (attempt == policy_.attempts) break;
    sleep_(std::max(wait, Backoff(attempt)));
  }
  return last;
}

}  // namespace icb
