#include "broker/orchestrator/engine/audit.h"

#include <algorithm>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

const std::string kEventsKey = "icb:audit:log";     // the indexed log (Store::LogRead)
const std::string kEventIdsKey = "icb:audit:log:ids";  // ids written, so a retry adds nothing
const std::string kLegacyKey = "icb:audit";            // JSON lines, before the log
const std::string kLegacyIdsKey = "icb:audit:ids";     // their ids
// How far the events written before the kind-pair indexes existed have been
// listed under them: a number, then "all" once every event is.
const std::string kPairIndexedKey = "icb:audit:log:pairs";

// The pairs of a subject and a kind an event is listed under besides each
// field alone ("a workload's decisions" reads only those). Ids never
// contain ':' (ids.h), so the names cannot collide.
std::vector<std::string> PairIndexesOf(const AuditEvent& e) {
  std::vector<std::string> out;
  if (!e.workload.empty()) out.push_back("wk:" + e.workload + ":" + e.kind);
  if (!e.provider.empty()) out.push_back("pk:" + e.provider + ":" + e.kind);
  return out;
}

// A tenant's events are listed under its space, so its trail is read
// without the others'; the default space's are the whole log less the
// others' (events from before tenants are in it).
std::string SpaceIndex(const TenantSpace& space) { return space.is_default() ? std::string() : "s:" + space.prefix(); }

// The index names an event is listed under.
std::vector<std::string> IndexesOf(const AuditEvent& e) {
  std::vector<std::string> out = {"k:" + e.kind};
  if (std::string s = SpaceIndex(SpaceOf(e)); !s.empty()) out.push_back(std::move(s));
  if (!e.workload.empty()) out.push_back("w:" + e.workload);
  if (!e.operation.empty()) out.push_back("o:" + e.operation);
  if (!e.provider.empty()) out.push_back("p:" + e.provider);
  for (auto& name : PairIndexesOf(e)) out.push_back(std::move(name));
  return out;
}

// The index a filtered page reads (the most selective one the filter
// names) and how many of the filter's fields it covers.
std::pair<std::string, int> IndexFor(const AuditFilter& f, bool pairs_indexed) {
  if (!f.operation.empty()) return {"o:" + f.operation, 1};
  if (pairs_indexed && !f.kind.empty()) {
    if (!f.workload.empty()) return {"wk:" + f.workload + ":" + f.kind, 2};
    if (!f.provider.empty()) return {"pk:" + f.provider + ":" + f.kind, 2};
  }
  if (!f.workload.empty()) return {"w:" + f.workload, 1};
  if (!f.provider.empty()) return {"p:" + f.provider, 1};
  if (!f.kind.empty()) return {"k:" + f.kind, 1};
  if (f.spaces.size() == 1) return {SpaceIndex(f.spaces.front()), 0};
  return {"", 0};
}

bool Matches(const AuditFilter& f, const AuditEvent& e) {
  if (!f.workload.empty() && e.workload != f.workload) return false;
  if (!f.operation.empty() && e.operation != f.operation) return false;
  if (!f.provider.empty() && e.provider != f.provider) return false;
  if (!f.kind.empty() && e.kind != f.kind) return false;
  if (f.from && e.at < *f.from) return false;
  if (f.to && !(e.at < *f.to)) return false;
  if (!f.spaces.empty() && std::find(f.spaces.begin(), f.spaces.end(), SpaceOf(e)) == f.spaces.end()) return false;
  return true;
}

Result<AuditEvent> FromLine(std::string_view line) {
  json d = json::parse(line, nullptr, false);
  if (d.is_discarded() || !d.is_object()) return Internal("audit trail: a stored event is not JSON");
  try {
    AuditEvent e;
    e.id = d.at("id").get<std::string>();
    auto at = ParseRfc3339(d.at("at").get<std::string>());
    if (!at) return Internal("audit trail: event " + e.id + " has a bad time");
    e.at = *at;
    e.kind = d.at("kind").get<std::string>();
    e.workload = d.value("workload", "");
    e.operation = d.value("operation", "");
    e.provider = d.value("provider", "");
    e.summary = d.value("summary", "");
    e.inputs = d.value("inputs", json::object());
    e.actor = d.value("actor", "");
    if (e.actor == kBrokerActor) e.actor.clear();
    return e;
  } catch (const json::exception& ex) {
    return Internal(std::string("audit trail: a stored event is corrupt: ") + ex.what());
  }
}

}  // namespace

TenantSpace SpaceOf(const AuditEvent& e) {
  if (!e.operation.empty()) return TenantSpace::Of(e.operation);
  if (!e.workload.empty()) return TenantSpace::Of(e.workload);
  return TenantSpace::Broker();
}

AuditEvent MakeEvent(std::string id, std::string kind, TimePoint at, EventSubject about, std::string summary, json inputs) {
  AuditEvent e;
  e.id = std::move(id);
  e.at = at;
  e.kind = std::move(kind);
  e.workload = std::move(about.workload);
  e.operation = std::move(about.operation);
  e.provider = std::move(about.provider);
  e.summary = std::move(summary);
  e.inputs = std::move(inputs);
  return e;
}

bool IsAuditKind(std::string_view kind) {
  return std::find(std::begin(kAuditKinds), std::end(kAuditKinds), kind) != std::end(kAuditKinds);
}

json AuditEventToJson(const AuditEvent& e) {
  json d = {{"id", e.id},           {"at", FormatRfc3339(e.at)}, {"kind", e.kind}, {"summary", e.summary}, {"inputs", e.inputs},
            {"actor", e.actor.empty() ? std::string(kBrokerActor) : e.actor}};
  if (!e.workload.empty()) d["workload"] = e.workload;
  if (!e.operation.empty()) d["operation"] = e.operation;
  if (!e.provider.empty()) d["provider"] = e.provider;
  return d;
}

AppendGroup AuditAppend(const std::vector<AuditEvent>& events) {
  AppendGroup g{kEventIdsKey, kEventsKey, {}, true, {}};
  for (const auto& e : events) {
    g.items.emplace_back(e.id, AuditEventToJson(e).dump());
    g.indexes.push_back(IndexesOf(e));
    g.times.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(e.at.time_since_epoch()).count());
  }
  return g;
}

Status AuditLog::Record(const std::vector<AuditEvent>& events, const Fence* fence) {
  if (events.empty()) return Status::Ok();
  return store_.CompareAndSetAll({}, {AuditAppend(events)}, fence).status();
}

Result<std::optional<long long>> AuditLog::FirstAtOrAfter(TimePoint t) {
  return store_.LogSeek(kEventsKey, std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

Result<AuditPage> AuditLog::Query(const AuditFilter& filter) {
  AuditPage page;
  long long cursor = filter.after;
  if (filter.from) {
    // Events are numbered in the order written, which follows their times
    // up to the clock skew between writers (replicas): start a second
    // before the first event at `from`; the filter drops what is earlier.
    ICB_ASSIGN_OR_RETURN(auto first, FirstAtOrAfter(*filter.from - std::chrono::seconds(1)));
    if (!first) return page;
    cursor = std::max(cursor, *first - 1);
  }
  const int fields = !filter.workload.empty() + !filter.operation.empty() + !filter.provider.empty() + !filter.kind.empty();
  bool pairs_indexed = false;
  if (fields >= 2 && !filter.kind.empty()) {
    ICB_ASSIGN_OR_RETURN(auto marker, store_.GetMany({kPairIndexedKey}));
    pairs_indexed = marker.at(0) == "all";
  }
  const auto [index, covered] = IndexFor(filter, pairs_indexed);
  // When the index is the whole filter (no other field, no `to`), every
  // record it lists matches: read just the page.
  const bool exact = covered == fields && !filter.to && (filter.spaces.empty() || (!index.empty() && index == SpaceIndex(filter.spaces.front())));
  // Each field filter as AuditEventToJson writes it ("kind":"decision").
  std::vector<std::string> needles;
  for (auto [name, value] : {std::pair{"workload", &filter.workload}, std::pair{"operation", &filter.operation},
                             std::pair{"provider", &filter.provider}, std::pair{"kind", &filter.kind}})
    if (!value->empty()) needles.push_back("\"" + std::string(name) + "\":" + json(*value).dump());
  size_t scanned = 0;
  while (page.events.size() < filter.limit) {
    if (scanned >= kMostScanned) {
      page.next = cursor;
      return page;
    }
    const size_t want = exact ? filter.limit - page.events.size() : std::max<size_t>(filter.limit * 2, 256);
    const size_t ask = std::min(want, kMostScanned - scanned);
    ICB_ASSIGN_OR_RETURN(auto entries, store_.LogRead(kEventsKey, index, cursor, ask));
    for (const auto& entry : entries) {
      ++scanned;
      cursor = entry.seq;
      // A record without a filter's field as it is written cannot match:
      // skipped without parsing (one that has it is parsed and checked).
      if (std::any_of(needles.begin(), needles.end(), [&](const std::string& n) { return entry.record.find(n) == std::string::npos; })) continue;
      ICB_ASSIGN_OR_RETURN(AuditEvent e, FromLine(entry.record));
      if (!Matches(filter, e)) continue;
      page.events.push_back(std::move(e));
      page.numbers.push_back(entry.seq);
      if (page.events.size() == filter.limit) {
        page.next = cursor;  // there may be more
        return page;
      }
    }
    if (entries.size() < ask) return page;  // the end
  }
  return page;
}

Result<long long> AuditLog::Newest() {
  ICB_ASSIGN_OR_RETURN(auto size, store_.LogStat(kEventsKey));
  return size.last;
}

Result<size_t> AuditLog::Trim(TimePoint before) {
  ICB_ASSIGN_OR_RETURN(auto size, store_.LogStat(kEventsKey));
  if (size.records == 0) return size_t{0};
  ICB_ASSIGN_OR_RETURN(auto keep_from, FirstAtOrAfter(before));
  const long long below = keep_from ? *keep_from : size.last + 1;
  size_t total = 0;
  // In bounded steps: Redis runs each alone, so none holds it long.
  for (;;) {
    ICB_ASSIGN_OR_RETURN(size_t n, store_.LogTrim(kEventsKey, kEventIdsKey, below, 1000));
    total += n;
    if (n < 1000) return total;
  }
}

Result<AuditLog::PairIndexing> AuditLog::IndexPairs(size_t most) {
  PairIndexing out;
  ICB_ASSIGN_OR_RETURN(auto marker, store_.GetMany({kPairIndexedKey}));
  if (marker.at(0) == "all") {
    out.done = true;
    return out;
  }
  long long after = 0;
  if (marker.at(0)) {
    try {
      after = std::stoll(*marker.at(0));
    } catch (...) {
      return Internal("audit trail: " + kPairIndexedKey + " is not a number");
    }
  }
  ICB_ASSIGN_OR_RETURN(auto entries, store_.LogRead(kEventsKey, "", after, most));
  std::vector<Store::LogIndexing> additions;
  for (const auto& entry : entries) {
    ICB_ASSIGN_OR_RETURN(AuditEvent e, FromLine(entry.record));
    auto names = PairIndexesOf(e);
    if (!names.empty()) additions.push_back({entry.seq, std::move(names)});
    after = entry.seq;
  }
  ICB_RETURN_IF_ERROR(store_.LogAddIndexes(kEventsKey, additions));
  out.events = entries.size();
  // Events written from now on carry the pairs themselves (IndexesOf), so
  // the end of the log as it is now is the end of the work.
  out.done = entries.size() < most;
  WriteBatch progress;
  progress.Set(kPairIndexedKey, out.done ? std::string("all") : std::to_string(after));
  ICB_RETURN_IF_ERROR(store_.Apply(progress).status());
  return out;
}

Result<size_t> AuditLog::MoveLegacyTrail() {
  ICB_ASSIGN_OR_RETURN(auto values, store_.GetMany({kLegacyKey}));
  if (!values.at(0)) return size_t{0};
  const std::string& all = *values[0];
  std::vector<AuditEvent> batch;
  size_t moved = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    ICB_ASSIGN_OR_RETURN(long long n, store_.AppendUnique({AuditAppend(batch)}, {}));
    moved += static_cast<size_t>(n);
    batch.clear();
    return Status::Ok();
  };
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string::npos) end = all.size();
    if (end > pos) {
      ICB_ASSIGN_OR_RETURN(AuditEvent e, FromLine(std::string_view(all).substr(pos, end - pos)));
      batch.push_back(std::move(e));
      if (batch.size() == 500) ICB_RETURN_IF_ERROR(flush());
    }
    pos = end + 1;
  }
  ICB_RETURN_IF_ERROR(flush());
  // Each event is in the log once (by id) before the string goes: a broker
  // stopped half way moves the rest next time.
  WriteBatch drop;
  drop.Delete(kLegacyKey).Delete(kLegacyIdsKey);
  ICB_RETURN_IF_ERROR(store_.Apply(drop).status());
  return moved;
}

}  // namespace icb
