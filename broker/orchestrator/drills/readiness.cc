#include "broker/orchestrator/drills/readiness.h"

#include <cmath>
#include <set>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kReadinessKey = "icb:readiness";

std::string OneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

json OrNullSeconds(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json AllToJson(const ReadinessReport& r) {
  json list = json::array();
  for (const auto& w : r.workloads)
    list.push_back({{"workload", w.workload},
                    {"provider", w.provider},
                    {"ready", w.ready},
                    {"reasons", w.reasons},
                    {"predicted_rto_s", OrNullSeconds(w.predicted_rto_s)},
                    {"predicted_rpo_s", OrNullSeconds(w.predicted_rpo_s)},
                    {"target", w.target ? json(*w.target) : json(nullptr)}});
  return {{"at", FormatRfc3339(r.at)}, {"workloads", std::move(list)}};
}

Result<ReadinessReport> FromJson(const json& j) {
  try {
    ReadinessReport r;
    auto at = ParseRfc3339(j.at("at").get<std::string>());
    if (!at) return InvalidArgument("readiness: at is not RFC 3339");
    r.at = *at;
    auto number = [](const json& v) { return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt; };
    for (const auto& e : j.at("workloads")) {
      WorkloadReadiness w;
      w.workload = e.at("workload").get<std::string>();
      w.provider = e.at("provider").get<std::string>();
      w.ready = e.at("ready").get<bool>();
      w.reasons = e.at("reasons").get<std::vector<std::string>>();
      w.predicted_rto_s = number(e.at("predicted_rto_s"));
      w.predicted_rpo_s = number(e.at("predicted_rpo_s"));
      if (e.at("target").is_string()) w.target = e.at("target").get<std::string>();
      r.workloads.push_back(std::move(w));
    }
    return r;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("readiness record: ") + e.what());
  }
}

}  // namespace

WorkloadReadiness VerdictOf(const DrillWorkload& w) {
  WorkloadReadiness v;
  v.workload = w.workload;
  v.provider = w.from;
  v.target = w.target;
  v.predicted_rto_s = w.predicted_rto_s;
  v.predicted_rpo_s = w.predicted_rpo_s;
  if (!w.target) v.reasons.push_back("unplaced: " + w.unplaced_reason);
  if (w.target && !w.automatic) v.reasons.push_back("failover is manual: nothing moves it until an operator does");
  if (w.target && w.rto_s && w.predicted_rto_s && *w.predicted_rto_s > *w.rto_s)
    v.reasons.push_back("predicted RTO " + OneDecimal(*w.predicted_rto_s) + " s over rto_s " + OneDecimal(*w.rto_s) + " s");
  if (w.target && w.rpo_s) {
    if (!w.predicted_rpo_s) v.reasons.push_back("RPO unknown: " + w.rpo_reason);
    else if (*w.predicted_rpo_s > *w.rpo_s)
      v.reasons.push_back("predicted RPO " + OneDecimal(*w.predicted_rpo_s) + " s over rpo_s " + OneDecimal(*w.rpo_s) + " s");
  }
  v.ready = v.reasons.empty();
  return v;
}

json ReadinessToJson(const ReadinessReport& r, const Scope& scope) {
  ReadinessReport seen{r.at, {}};
  for (const auto& w : r.workloads)
    if (scope.Sees(w.workload)) seen.workloads.push_back(w);
  return AllToJson(seen);
}

Result<std::optional<ReadinessReport>> Readiness::Read() {
  ICB_ASSIGN_OR_RETURN(auto stored, store_.GetVersioned(kReadinessKey));
  if (!stored) return std::optional<ReadinessReport>();
  json doc = json::parse(stored->value, nullptr, false);
  if (doc.is_discarded()) return Internal("readiness: stored record is not JSON");
  ICB_ASSIGN_OR_RETURN(auto report, FromJson(doc));
  return std::optional<ReadinessReport>(std::move(report));
}

Result<size_t> Readiness::Pass() {
  const std::optional<Fence> fence = runner_.CurrentFence();
  if (!fence) return size_t{0};
  ICB_ASSIGN_OR_RETURN(auto drills, drills_.StandingDrills());
  ReadinessReport report{clock_.Now(), {}};
  size_t unready = 0;
  for (const auto& d : drills)
    for (const auto& w : d.workloads) {
      report.workloads.push_back(VerdictOf(w));
      unready += report.workloads.back().ready ? 0 : 1;
    }
  // A readiness event for each workload whose verdict changed (a new one
  // that is not ready counts as changed).
  ICB_ASSIGN_OR_RETURN(auto stored, store_.GetVersioned(kReadinessKey));
  std::map<std::string, bool> before;
  if (stored) {
    json doc = json::parse(stored->value, nullptr, false);
    if (auto last = doc.is_discarded() ? Result<ReadinessReport>(Internal("")) : FromJson(doc); last.ok())
      for (const auto& w : last->workloads) before[w.workload] = w.ready;
  }
  const std::string at_ms = std::to_string(std::chrono::duration_cast<Millis>(report.at.time_since_epoch()).count());
  std::vector<AuditEvent> events;
  for (const auto& w : report.workloads) {
    auto was = before.find(w.workload);
    if (was == before.end() ? w.ready : was->second == w.ready) continue;
    std::string why;
    for (const auto& r : w.reasons) why += (why.empty() ? "" : "; ") + r;
    events.push_back(MakeEvent("readiness/" + w.workload + "/" + at_ms, "readiness", report.at, {w.workload, "", w.provider},
                               w.ready ? "workload " + w.workload + " would recover from a disaster of " + w.provider + " again"
                                       : "workload " + w.workload + " would not recover as required from a disaster of " + w.provider + ": " + why,
                               {{"ready", w.ready},
                                {"reasons", w.reasons},
                                {"target", w.target ? json(*w.target) : json(nullptr)},
                                {"predicted_rto_s", OrNullSeconds(w.predicted_rto_s)},
                                {"predicted_rpo_s", OrNullSeconds(w.predicted_rpo_s)}}));
  }
  CasWrite write{kReadinessKey, stored ? stored->version : 0, AllToJson(report).dump(), {}, {}, {}};
  ICB_RETURN_IF_ERROR(store_.CompareAndSetAll({write}, events.empty() ? std::vector<AppendGroup>{} : std::vector<AppendGroup>{AuditAppend(events)}, &*fence)
                          .status());
  if (gauges_.unready) gauges_.unready->Set(static_cast<double>(unready));
  return unready;
}

}  // namespace icb
