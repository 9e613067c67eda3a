// Live audit events for open consoles (GET /v1/events/stream, Server-Sent
// Events): one reader of the trail per broker process, shared by every open
// stream. It reads what was recorded since its last look once a tick and
// hands each stream the events its caller may see, so fifty consoles cost
// one read a tick, and nothing at all while none is open.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "broker/api/http.h"
#include "broker/auth/tenant_space.h"
#include "broker/orchestrator/engine/audit.h"

namespace icb {

struct EventFeedOptions {
  std::chrono::milliseconds every{500};       // how often the trail is read while a stream is open
  std::chrono::milliseconds heartbeat{15000};  // a comment line to idle streams (proxies, and to find the gone)
  size_t most_per_tick = 1000;                 // events read (or caught up) per stream per tick
};

// One event as a stream sends it: `id` is its number in the trail, which a
// client sends back as Last-Event-ID to resume after it.
std::string ServerSentEvent(long long number, const AuditEvent& event);

class EventFeed {
 public:
  explicit EventFeed(AuditLog& audit, EventFeedOptions options = {});
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // A stream of the events recorded in `spaces` (the caller's own first:
  // its ids are sent as it names them) after the one numbered `after` (a
  // Last-Event-ID: those still kept are sent first), or from now on
  // (nullopt; fixed now, one read of the store).
  Result<std::shared_ptr<ResponseStream>> Open(std::vector<TenantSpace> spaces, std::optional<long long> after);
  // Streams open now.
  size_t open_streams() const;

  struct State;  // shared with the streams, which may outlive the feed

 private:
  std::shared_ptr<State> state_;
};

}  // namespace icb
