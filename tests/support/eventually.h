// Waiting for what asynchronous work promises: an end, never an order or a
// time. Tests poll a condition until it holds or a deadline passes, so a
// slow or loaded machine makes a test slower, never red.
#pragma once

#include <chrono>
#include <thread>

namespace icb::testing {

// True once `done()` holds; false if it still does not at `within`. Polls
// every `every`. The deadline is generous on purpose: it only bounds a
// failing test.
template <typename Pred>
bool Eventually(Pred&& done, std::chrono::milliseconds within = std::chrono::seconds(60),
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace icb::testing
