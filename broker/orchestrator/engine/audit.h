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

#include "broker/auth/tenant_space.h"
#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/store/store.h"

namespace icb {

// The kinds docs/architecture.md names.
inline constexpr const char* kAuditKinds[] = {"detected",       "recovered", "decision", "step_started", "step_succeeded", "step_failed",
                                             "unplaced",       "burst_started", "burst_ended", "verified", "drill",
                                             "rpo_exceeded", "source_retired", "key_created", "key_revoked", "credential_put", "credential_deleted", "cancel_requested", "confirmed",
                                             "localized", "delocalized", "readiness"};
bool IsAuditKind(std::string_view kind);
// An event's actor when the broker acted on its own.
inline constexpr std::string_view kBrokerActor = "broker";

struct AuditEvent {
  std::string id;  // unique per thing recorded: the same event again is the same id
  TimePoint at{};
  std::string kind;
  std::string workload, operation, provider;  // empty: none
  std::string summary;
  nlohmann::json inputs = nlohmann::json::object();
  // Who caused it: "key:ID" (the API key of the request that started it),
  // "anonymous" (a request to a broker without keys), "" (the broker
  // itself: detection, triggers, reconciling), shown as "broker".
  std::string actor;
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

// Whose an event is (tenant_space.h): its operation's tenant's, else its
// workload's; the broker's own when it concerns neither (a provider's
// outage, a key).
TenantSpace SpaceOf(const AuditEvent& e);

struct AuditFilter {
  std::string workload, operation, provider, kind;  // empty: any
  std::vector<TenantSpace> spaces;                   // empty: any
  std::optional<TimePoint> from, to;                 // from <= at < to
  long long after = 0;                               // the cursor: events recorded after this one
  size_t limit = 100;
};

struct AuditPage {
  std::vector<AuditEvent> events;  // in the order recorded (time order)
  std::vector<long long> numbers;  // each event's number in the trail (a cursor that resumes after it)
  // Where the next page starts (AuditFilter::after); nullopt at the end.
  std::optional<long long> next;
};

// The trail is an indexed log in the store (Store::LogRead): every event
// is listed under its workload, operation, provider and kind, and under
// (workload, kind) and (provider, kind), so a filtered page reads that
// index from the cursor on, never the whole history.
class AuditLog {
 public:
  // Events looked at for one page at most: a page whose filters beyond the
  // index leave most out may hold fewer than `limit` events and a `next`.
  static constexpr size_t kMostScanned = 10'000;

  explicit AuditLog(Store& store) : store_(store) {}
  // Records events on their own (those not written with an operation).
  Status Record(const std::vector<AuditEvent>& events, const Fence* fence);
  // Up to `limit` events that match, recorded after the cursor, oldest
  // first; `from` starts at the first event at that time (the log's time
  // index, not by reading what came before).
  Result<AuditPage> Query(const AuditFilter& filter);
  // The number of the newest event recorded (0: none yet).
  Result<long long> Newest();
  // Forgets the events recorded before `before` (retention); how many.
  Result<size_t> Trim(TimePoint before);
  // Lists events written before the (subject, kind) pair indexes existed
  // under them, `most` a call, from where the last call stopped; until all
  // are, a page filtered by both reads the subject's index and checks the
  // kind. Idempotent, so brokers may run it side by side.
  struct PairIndexing {
    size_t events = 0;  // looked at in this call
    bool done = false;  // every event is listed
  };
  Result<PairIndexing> IndexPairs(size_t most);
  // Moves a trail kept by a broker before the indexed log (one string of
  // JSON lines) into it, once; how many events.
  Result<size_t> MoveLegacyTrail();

 private:
  // The number of the first event at or after `t` (the log's time index);
  // nullopt: none.
  Result<std::optional<long long>> FirstAtOrAfter(TimePoint t);

  Store& store_;
};

}  // namespace icb
