// Requests per API key: a token bucket per key (`rate` a second, up to
// `burst` at once), so one key flooding the API is refused (429) while
// every other key is served as before. Per broker: a key spread over N
// replicas may reach N times its rate.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/core/clock.h"

namespace icb {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  double burst = 0;       // requests at once after a pause (at least 1)
};

class RateLimiter {
 public:
  // Keys remembered at most: beyond it, those with a full bucket (idle
  // long enough) are forgotten, which changes nothing for them.
  static constexpr size_t kMostKeys = 100'000;

  RateLimiter(const Clock& clock, RateLimit limit);

  // Takes one request for `key`: nullopt when it may go now, else how long
  // until it may.
  std::optional<Millis> Take(std::string_view key);

 private:
  struct Bucket {
    double tokens;
    MonoTime at;
  };
  void ForgetIdle(MonoTime now);

  const Clock& clock_;
  const RateLimit limit_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace icb
