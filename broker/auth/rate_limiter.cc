#include "broker/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace icb {

RateLimiter::RateLimiter(const Clock& clock, RateLimit limit) : clock_(clock), limit_({limit.per_second, std::max(1.0, limit.burst)}) {}

std::optional<Millis> RateLimiter::Take(std::string_view key) {
  if (limit_.per_second <= 0) return std::nullopt;
  const MonoTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMostKeys) ForgetIdle(now);
    it = buckets_.emplace(std::string(key), Bucket{limit_.burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed_s = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(limit_.burst, b.tokens + elapsed_s * limit_.per_second);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return Millis(static_cast<long long>(std::ceil((1 - b.tokens) / limit_.per_second * 1000)));
}

void RateLimiter::ForgetIdle(MonoTime now) {
  const double refill_s = limit_.burst / limit_.per_second;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (std::chrono::duration<double>(now - it->second.at).count() >= refill_s) it = buckets_.erase(it);
    else ++it;
  }
}

}  // namespace icb
