// The audit trail (docs/architecture.md, "Wire names"): what the orchestrator saw,
// decided and did, with its inputs. Events are written in the same atomic
// write as the operation record they belong to, each under an id derived
// from what it records (operation, step, attempt), so a write that is
// retried after a crash never records an event twice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/store/store.h"

namespace icb {

// The kinds docs/architecture.md names.
inline constexpr const char* kAuditKinds[] = {"detected",       "recovered", "decision", "step_started", "step_succeeded", "step_failed",
                                             "unplaced",       "burst_started", "burst_ended", "verified", "drill",
                                             "rpo_exceeded"};
bool IsAuditKind(std::string_view kind);

struct AuditEvent {
  std::string id;  // unique per thing recorded: the same event again is the same id
  TimePoint at{};
  std::string kind;
  std::string workload, operation, provider;  // empty: none
  std::string summary;
  nlohmann::json inputs = nlohmann::json::object();
};

// What an event concerns (empty: none).
struct EventSubject {
  std::string workload, operation, provider;
};

// The one way to make an event: `id` unique to what it records (the same
// event again is the same id, so a write retried after a crash records it
// once), one of kAuditKinds, when, what about, a one-line summary and the
// inputs it was decided on.
AuditEvent MakeEvent(std::string id, std::string kind, TimePoint at, EventSubject about, std::string summary,
                     nlohmann::json inputs = nlohmann::json::object());

nlohmann::json AuditEventToJson(const AuditEvent& e);

// The append that records `events` (kept once per id) in a compare-and-set.
AppendGroup AuditAppend(const std::vector<AuditEvent>& events);

struct AuditFilter {
  std::string workload, operation, provider, kind;  // empty: any
  std::optional<TimePoint> from, to;                 // from <= at < to
  size_t limit = 100;
};

struct AuditPage {
  std::vector<AuditEvent> events;  // in the order recorded (time order)
  size_t left_off = 0;             // older matches not in `events`
};

class AuditLog {
 public:
  explicit AuditLog(Store& store) : store_(store) {}
  // Records events on their own (those not written with an operation).
  Status Record(const std::vector<AuditEvent>& events, const Fence* fence);
  // The newest `limit` events that match, oldest first.
  Result<AuditPage> Query(const AuditFilter& filter);

 private:
  Store& store_;
};

}  // namespace icb
