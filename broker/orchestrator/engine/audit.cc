#include "broker/orchestrator/engine/audit.h"

#include <algorithm>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

const std::string kEventsKey = "icb:audit";          // JSON lines, in the order written
const std::string kEventIdsKey = "icb:audit:ids";    // ids written, so a retry adds nothing

bool Matches(const AuditFilter& f, const AuditEvent& e) {
  if (!f.workload.empty() && e.workload != f.workload) return false;
  if (!f.operation.empty() && e.operation != f.operation) return false;
  if (!f.provider.empty() && e.provider != f.provider) return false;
  if (!f.kind.empty() && e.kind != f.kind) return false;
  if (f.from && e.at < *f.from) return false;
  if (f.to && !(e.at < *f.to)) return false;
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
    return e;
  } catch (const json::exception& ex) {
    return Internal(std::string("audit trail: a stored event is corrupt: ") + ex.what());
  }
}

}  // namespace

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
  json d = {{"id", e.id}, {"at", FormatRfc3339(e.at)}, {"kind", e.kind}, {"summary", e.summary}, {"inputs", e.inputs}};
  if (!e.workload.empty()) d["workload"] = e.workload;
  if (!e.operation.empty()) d["operation"] = e.operation;
  if (!e.provider.empty()) d["provider"] = e.provider;
  return d;
}

AppendGroup AuditAppend(const std::vector<AuditEvent>& events) {
  AppendGroup g{kEventIdsKey, kEventsKey, {}};
  for (const auto& e : events) g.items.emplace_back(e.id, AuditEventToJson(e).dump() + "\n");
  return g;
}

Status AuditLog::Record(const std::vector<AuditEvent>& events, const Fence* fence) {
  if (events.empty()) return Status::Ok();
  return store_.CompareAndSetAll({}, {AuditAppend(events)}, fence).status();
}

Result<AuditPage> AuditLog::Query(const AuditFilter& filter) {
  ICB_ASSIGN_OR_RETURN(auto values, store_.GetMany({kEventsKey}));
  AuditPage page;
  if (!values.at(0)) return page;
  const std::string& all = *values[0];
  std::vector<AuditEvent> matched;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string::npos) end = all.size();
    if (end > pos) {
      ICB_ASSIGN_OR_RETURN(AuditEvent e, FromLine(std::string_view(all).substr(pos, end - pos)));
      if (Matches(filter, e)) matched.push_back(std::move(e));
    }
    pos = end + 1;
  }
  if (matched.size() > filter.limit) {
    page.left_off = matched.size() - filter.limit;
    matched.erase(matched.begin(), matched.begin() + static_cast<long>(page.left_off));
  }
  page.events = std::move(matched);
  return page;
}

}  // namespace icb
