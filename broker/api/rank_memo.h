// Rank answers kept for identical requests over the same evidence. During a
// provider's outage hundreds of workloads (and the people watching them)
// rank with the same few stored profiles within a second; each rank over a
// large catalog filters, scores and renders tens of kilobytes the previous
// one just rendered. An answer is reused only for the same request bytes,
// the same catalog snapshot, the same shared evidence (measured QoS,
// expected credits, cloud-washing observations: each replaced whole when
// refreshed) and for at most `reuse` after it was computed; its `at` says
// when that was. Only successful answers are kept. The request bytes are
// the whole key because they are all a rank reads besides the basis: a
// route whose answer also depends on who asks must key on that too.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "broker/catalog/catalog.h"
#include "broker/core/time.h"

namespace icb {

// What an answer was computed from, besides the request: held, not only
// compared, so a freed snapshot's address cannot come back as a new one.
struct RankBasis {
  std::shared_ptr<const CatalogSnapshot> snapshot;
  std::shared_ptr<const void> measured, credits, observations;  // null: not used by the profile
  bool operator==(const RankBasis&) const = default;
};

class RankAnswerMemo {
 public:
  // `capacity` answers of at most `max_answer_bytes` each; reuse 0 keeps none.
  RankAnswerMemo(std::chrono::milliseconds reuse, size_t capacity = 64, size_t max_answer_bytes = 256 << 10);
  RankAnswerMemo(const RankAnswerMemo&) = delete;
  RankAnswerMemo& operator=(const RankAnswerMemo&) = delete;

  bool enabled() const { return reuse_.count() > 0; }
  // The answer to `request` if one computed on `basis` within `reuse` of `now` is kept.
  std::optional<std::string> Find(std::string_view request, const RankBasis& basis, TimePoint now);
  // Keeps `answer`, computed at `at`; forgets what has expired, then the
  // least recently used beyond capacity.
  void Keep(std::string_view request, RankBasis basis, TimePoint at, std::string answer);
  size_t size() const;

 private:
  struct Entry {
    std::string request;
    RankBasis basis;
    TimePoint at;
    std::string answer;
  };
  using Order = std::list<Entry>;  // most recently used first
  bool Fresh(const Entry& e, TimePoint now) const { return now >= e.at && now - e.at < reuse_; }

  const std::chrono::milliseconds reuse_;
  const size_t capacity_, max_answer_bytes_;
  mutable std::mutex mu_;
  Order order_;
  std::unordered_map<std::string_view, Order::iterator> by_request_;  // views into order_'s requests
};

}  // namespace icb
