#include "broker/api/rank_memo.h"

namespace icb {

RankAnswerMemo::RankAnswerMemo(std::chrono::milliseconds reuse, size_t capacity, size_t max_answer_bytes)
    : reuse_(reuse), capacity_(capacity), max_answer_bytes_(max_answer_bytes) {}

std::optional<std::string> RankAnswerMemo::Find(std::string_view request, const RankBasis& basis, TimePoint now) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = by_request_.find(request);
  if (it == by_request_.end()) return std::nullopt;
  Order::iterator e = it->second;
  if (!(e->basis == basis) || !Fresh(*e, now)) {
    // Never good again: a newer snapshot or evidence replaced this one, or time moved on.
    by_request_.erase(it);
    order_.erase(e);
    return std::nullopt;
  }
  order_.splice(order_.begin(), order_, e);
  return e->answer;
}

void RankAnswerMemo::Keep(std::string_view request, RankBasis basis, TimePoint at, std::string answer) {
  if (!enabled() || answer.size() > max_answer_bytes_ || capacity_ == 0) return;
  std::lock_guard lock(mu_);
  // What has expired holds old snapshots alive: gone first.
  for (auto e = order_.begin(); e != order_.end();) {
    if (Fresh(*e, at) && e->request != request) {
      ++e;
      continue;
    }
    by_request_.erase(e->request);
    e = order_.erase(e);
  }
  while (order_.size() >= capacity_) {
    by_request_.erase(order_.back().request);
    order_.pop_back();
  }
  order_.push_front(Entry{std::string(request), std::move(basis), at, std::move(answer)});
  by_request_.emplace(order_.front().request, order_.begin());
}

size_t RankAnswerMemo::size() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

}  // namespace icb
