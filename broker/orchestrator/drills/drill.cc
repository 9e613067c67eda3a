#include "broker/orchestrator/drills/drill.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/kinds/recovery_plan.h"
#include "broker/orchestrator/providers/read_only_adapters.h"
#include "broker/orchestrator/state/replica.h"
#include "broker/ranking/cost.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kLatestKey = "icb:drill:latest";  // workload -> its latest drill
std::string DrillKey(const std::string& id) { return "icb:drill:" + id; }

// The drill's moment as "now" for everything the plan reads (the SLA in
// force, the ranking's evidence); waits and deadlines as the real clock's.
class ClockAt final : public Clock {
 public:
  ClockAt(const Clock& real, TimePoint at) : real_(real), at_(at) {}
  TimePoint Now() const override { return at_; }
  MonoTime Monotonic() const override { return real_.Monotonic(); }
  bool WaitUntil(MonoTime deadline, Interrupt& interrupt) const override { return real_.WaitUntil(deadline, interrupt); }

 private:
  const Clock& real_;
  TimePoint at_;
};

double Round1(double v) { return std::round(v * 10) / 10; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The parts of a failover (or a placement) as its steps ended: from
// `start` to the end of ensure_capacity, then to the end of each of
// sync_data, switch_dns and verify in turn, in seconds. A step the kind
// does not have is left out (a place has no sync_data); from one that has
// not succeeded on, each is nullopt. PredictedAgainstAchieved shows these
// for one operation, and drills measure past operations by them, so a
// drill learns from what recoveries achieved.
struct StepGap {
  const char* step;
  std::optional<double> seconds;
};
std::vector<StepGap> StepGaps(const Operation& op, TimePoint start) {
  std::vector<StepGap> gaps;
  TimePoint last = start;
  bool broken = false;  // a step before has not ended: the rest are unknown
  for (const char* step : {"ensure_capacity", "sync_data", "switch_dns", "verify"}) {
    const StepRecord* s = op.Step(step);
    if (!s) continue;
    broken = broken || s->state != StepState::kSucceeded || !s->ended_at;
    if (broken) {
      gaps.push_back({step, std::nullopt});
      continue;
    }
    gaps.push_back({step, std::chrono::duration<double>(*s->ended_at - last).count()});
    last = *s->ended_at;
  }
  return gaps;
}

// When a failover's timeline starts: its detection, else its creation.
TimePoint Decided(const Operation& op) { return ParseRfc3339(op.request.value("detected_at", "")).value_or(op.created_at); }

// Each part's times at each target over the past operations read:
// (target, step) -> seconds.
using StepTimes = std::map<std::pair<std::string, std::string>, std::vector<double>>;

void AddStepTimes(const Operation& op, StepTimes& times) {
  if ((op.kind != "failover" && op.kind != "place") || op.state != OperationState::kSucceeded || op.target.empty()) return;
  for (const auto& [step, seconds] : StepGaps(op, Decided(op)))
    if (seconds) times[{op.target, step}].push_back(std::max(0.0, *seconds));
}

std::optional<double> Measured(const StepTimes& times, const std::string& target, const std::string& step) {
  auto it = times.find({target, step});
  if (it == times.end() || it->second.empty()) return std::nullopt;
  return Median(it->second);
}

std::optional<double> MonthlyAt(const CatalogSnapshot& snapshot, const Profile& profile, const std::string& provider) {
  const ProviderEntry* e = snapshot.FindProvider(provider);
  if (!e || !profile.cost) return std::nullopt;
  CostOutcome c = EstimateCost(e->provider, *profile.cost, std::nullopt, false);
  if (!c.estimate) return std::nullopt;
  return c.estimate->monthly;
}

// The target's published scale_minutes in the SLA in force at `at`.
std::optional<double> ScaleMinutes(const CatalogSnapshot& snapshot, const std::string& provider, TimePoint at) {
  const ProviderEntry* e = snapshot.FindProvider(provider);
  const SlaVersion* sla = e ? e->InForce(at) : nullptr;
  return sla ? sla->targets[*TargetIndex("scale_minutes")] : std::nullopt;
}

json Nullable(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json DrillToJson(const Drill& d) {
  json workloads = json::array();
  for (const auto& w : d.workloads) {
    json basis = json::object();
    for (const auto& [part, from] : w.rto_basis) basis[part] = from;
    json one = {{"workload", w.workload},
                {"priority", w.priority},
                {"from", w.from},
                {"target", w.target ? json(*w.target) : json(nullptr)},
                {"unplaced_reason", w.unplaced_reason.empty() ? json(nullptr) : json(w.unplaced_reason)},
                {"automatic", w.automatic},
                {"predicted_rto_s", Nullable(w.predicted_rto_s)},
                {"rto_parts",
                 {{"detection_s", w.rto_parts.detection_s},
                  {"capacity_s", w.rto_parts.capacity_s},
                  {"data_s", w.rto_parts.data_s},
                  {"dns_s", w.rto_parts.dns_s},
                  {"verify_s", w.rto_parts.verify_s}}},
                {"rto_basis", std::move(basis)},
                {"wave", w.wave},
                {"waits_s", w.waits_s},
                {"predicted_rpo_s", Nullable(w.predicted_rpo_s)},
                {"rpo_reason", w.rpo_reason.empty() ? json(nullptr) : json(w.rpo_reason)},
                {"rto_s", Nullable(w.rto_s)},
                {"rpo_s", Nullable(w.rpo_s)},
                {"monthly_cost_change", Nullable(w.monthly_cost_change)},
                {"currency", w.currency.empty() ? json(nullptr) : json(w.currency)}};
    workloads.push_back(std::move(one));
  }
  return {{"id", d.id}, {"providers", d.providers}, {"at", FormatRfc3339(d.at)}, {"workloads", std::move(workloads)}};
}

Result<Drill> DrillFromJson(const json& j) {
  try {
    Drill d;
    d.id = j.at("id").get<std::string>();
    d.providers = j.at("providers").get<std::vector<std::string>>();
    auto at = ParseRfc3339(j.at("at").get<std::string>());
    if (!at) return InvalidArgument("drill: at is not RFC 3339");
    d.at = *at;
    // Seconds and amounts: finite numbers (null where the field allows it).
    auto number = [](const json& v) -> std::optional<double> {
      if (v.is_null()) return std::nullopt;
      if (!v.is_number() || !std::isfinite(v.get<double>())) throw json::type_error::create(302, "not a finite number", &v);
      return v.get<double>();
    };
    auto integer = [](const json& v) {
      if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX)) ||
          v.get<long long>() < INT32_MIN || v.get<long long>() > INT32_MAX)
        throw json::type_error::create(302, "not an integer of 32 bits", &v);
      return static_cast<int>(v.get<long long>());
    };
    auto seconds = [&](const json& v) {
      auto n = number(v);
      if (!n) throw json::type_error::create(302, "a part is a number", &v);
      return *n;
    };
    for (const auto& e : j.at("workloads")) {
      DrillWorkload w;
      w.workload = e.at("workload").get<std::string>();
      w.priority = integer(e.at("priority"));
      w.from = e.at("from").get<std::string>();
      if (e.at("target").is_string()) w.target = e.at("target").get<std::string>();
      if (e.at("unplaced_reason").is_string()) w.unplaced_reason = e.at("unplaced_reason").get<std::string>();
      w.automatic = e.value("automatic", true);
      w.predicted_rto_s = number(e.at("predicted_rto_s"));
      const json& parts = e.at("rto_parts");
      w.rto_parts = {seconds(parts.at("detection_s")), seconds(parts.at("capacity_s")), seconds(parts.at("data_s")), seconds(parts.at("dns_s")),
                     seconds(parts.at("verify_s"))};
      const json basis = e.value("rto_basis", json::object());  // named: items() of a temporary would dangle
      for (const auto& [part, from] : basis.items()) w.rto_basis[part] = from.get<std::string>();
      w.wave = e.contains("wave") ? integer(e["wave"]) : 0;
      w.waits_s = e.contains("waits_s") ? seconds(e["waits_s"]) : 0.0;
      w.predicted_rpo_s = number(e.at("predicted_rpo_s"));
      if (e.value("rpo_reason", json()).is_string()) w.rpo_reason = e["rpo_reason"].get<std::string>();
      w.rto_s = number(e.value("rto_s", json()));
      w.rpo_s = number(e.value("rpo_s", json()));
      w.monthly_cost_change = number(e.value("monthly_cost_change", json()));
      if (e.value("currency", json()).is_string()) w.currency = e["currency"].get<std::string>();
      d.workloads.push_back(std::move(w));
    }
    return d;
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("drill record: ") + e.what());
  }
}

struct Drills::Impl {
  Impl(const WorkloadKindDeps& d, WorkloadCache& w, DrillOptions o) : deps(d), read_only(d.adapters), workloads(w), options(std::move(o)) {}

  // What every drill of one moment reads once: the workloads, where each
  // runs, and what past operations measured at each target.
  struct Inputs {
    std::shared_ptr<const WorkloadSet> set;
    std::map<std::string, std::string> runs_on;  // workload -> provider
    StepTimes times;
  };
  Result<Inputs> Gather();
  Result<Drill> Plan(const Inputs& in, const DrillRequest& r, std::string id);
  Result<Drill> Predict(const DrillRequest& r, std::string id) {
    ICB_ASSIGN_OR_RETURN(Inputs in, Gather());
    return Plan(in, r, std::move(id));
  }
  Result<std::optional<Drill>> Get(const std::string& id);

  WorkloadKindDeps deps;
  ReadOnlyAdapters read_only;
  WorkloadCache& workloads;
  DrillOptions options;
};

Result<Drills::Impl::Inputs> Drills::Impl::Gather() {
  Inputs in;
  ICB_ASSIGN_OR_RETURN(in.set, workloads.Read());
  for (const auto& cached : in.set->all) {
    const Workload& w = *cached.workload;
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(deps.store, w.id));
    in.runs_on[w.id] = status && !status->placement.empty() ? status->placement : w.placement;
  }
  // What past operations measured at each target: the newest of each
  // workload's, up to the budget of records (a target a workload never
  // ran on is measured by what others did there).
  OperationStore operations(deps.store);
  size_t budget = options.history_records;
  for (const auto& cached : in.set->all) {
    if (budget == 0) break;
    ICB_ASSIGN_OR_RETURN(auto ids, operations.OfWorkload(cached.workload->id));
    // Oldest first: an id is KIND-<ms, hex of fixed width>-... in its tenant's space.
    auto started = [](const std::string& op) {
      const std::string_view local = std::string_view(op).substr(TenantSpace::Of(op).prefix().size());
      const size_t dash = local.find('-');
      return dash == std::string_view::npos ? std::string_view() : local.substr(dash + 1);
    };
    std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) { return started(a) < started(b); });
    const size_t keep = std::min({ids.size(), options.history_per_workload, budget});
    ids.erase(ids.begin(), ids.end() - static_cast<long>(keep));
    budget -= keep;
    ICB_ASSIGN_OR_RETURN(auto ops, operations.GetMany(ids));
    for (const auto& op : ops)
      if (op) AddStepTimes(*op, in.times);
  }
  return in;
}

Result<Drill> Drills::Impl::Plan(const Inputs& in, const DrillRequest& r, std::string id) {
  const TimePoint at = r.at.value_or(deps.clock.Now());
  ClockAt clock(deps.clock, at);
  WorkloadKindDeps looks{deps.store, deps.catalog, read_only, deps.probes, deps.policies, deps.qos, clock, deps.wait_recheck, nullptr};
  ICB_ASSIGN_OR_RETURN(auto snapshot, deps.catalog.Snapshot());
  std::set<std::string> down;
  std::vector<FieldError> unknown;
  for (size_t i = 0; i < r.providers.size(); ++i) {
    if (!snapshot->FindProvider(r.providers[i]))
      unknown.push_back({"/providers/" + std::to_string(i), "no provider \"" + r.providers[i] + "\""});
    down.insert(r.providers[i]);
  }
  if (!unknown.empty()) {
    std::string message = unknown.front().message;
    return Status(StatusCode::kNotFound, std::move(message), std::move(unknown));
  }

  // Every workload running on a provider that goes down, whoever's: a
  // recovery takes them all, and they compete for the same room.
  std::vector<PlannedWorkload> plan;
  for (const auto& cached : in.set->all) {
    if (!down.count(in.runs_on.at(cached.workload->id))) continue;
    PlannedWorkload p;
    p.workload = *cached.workload;
    plan.push_back(std::move(p));
  }
  SortForRecovery(plan);
  ICB_RETURN_IF_ERROR(AssignTargets(looks, plan, down, 0));
  const StepTimes& times = in.times;
  const std::map<std::string, std::string>& from = in.runs_on;

  Drill drill;
  drill.id = std::move(id);
  drill.at = at;
  for (const auto& pr : r.providers)
    if (std::find(drill.providers.begin(), drill.providers.end(), pr) == drill.providers.end()) drill.providers.push_back(pr);
  std::map<std::string, int> queued;  // workloads sent to each target so far, in recovery order
  for (const auto& p : plan) {
    const Workload& w = p.workload;
    DrillWorkload out;
    out.workload = w.id;
    out.priority = w.priority;
    out.from = from.at(w.id);
    out.automatic = w.failover.automatic;
    out.rto_s = w.rto_s;
    out.rpo_s = w.rpo_s;
    std::string target = p.state == "assigned" ? p.target : p.state == "waiting" ? p.fallback : "";
    if (target.empty()) {
      out.unplaced_reason = p.why.empty() ? "no candidate can take it" : p.why;
      if (r.every_tenant || r.scope.Sees(w.id)) drill.workloads.push_back(std::move(out));
      continue;
    }
    out.target = target;
    const double interval = std::chrono::duration<double>(w.failover.interval).count();
    out.rto_parts.detection_s = interval * w.failover.failures;
    out.rto_basis["detection"] = "settings";

    // Capacity: measured, else the SLA's published scale time; then the
    // waves ahead of it at this target.
    double capacity = 0;
    if (auto m = Measured(times, target, "ensure_capacity")) {
      capacity = *m;
      out.rto_basis["capacity"] = "measured";
    } else if (const auto published = ScaleMinutes(*snapshot, target, at)) {
      capacity = *published * 60;
      out.rto_basis["capacity"] = "sla";
    } else {
      out.rto_basis["capacity"] = "none";
    }
    const int limit = std::max(1, options.call_limit ? options.call_limit(target, ComputeProvider::kCapability).value_or(options.provider_calls)
                                                     : options.provider_calls);
    const int side_by_side = std::max(1, std::min(limit, options.operation_workers > 0 ? options.operation_workers : 1));
    out.wave = queued[target]++ / side_by_side;
    if (p.state == "waiting") out.waits_s = w.rto_s.value_or(0);
    out.rto_parts.capacity_s = capacity * (1 + out.wave) + out.waits_s;

    if (auto m = Measured(times, target, "sync_data")) {
      out.rto_parts.data_s = *m;
      out.rto_basis["data"] = "measured";
    } else {
      out.rto_basis["data"] = w.data.empty() ? "settings" : "none";
    }
    out.rto_parts.dns_s = w.dns.ttl_s;
    if (auto m = Measured(times, target, "switch_dns")) {
      out.rto_parts.dns_s += *m;
      out.rto_basis["dns"] = "measured";
    } else {
      out.rto_basis["dns"] = "settings";
    }
    if (auto m = Measured(times, target, "verify")) {
      out.rto_parts.verify_s = *m;
      out.rto_basis["verify"] = "measured";
    } else {
      out.rto_parts.verify_s = interval * w.failover.recoveries;
      out.rto_basis["verify"] = "settings";
    }
    for (double* part : {&out.rto_parts.detection_s, &out.rto_parts.capacity_s, &out.rto_parts.data_s, &out.rto_parts.dns_s, &out.rto_parts.verify_s})
      *part = Round1(*part);
    out.predicted_rto_s = Round1(out.rto_parts.total());

    if (w.data.empty()) {
      out.predicted_rpo_s = 0;
    } else {
      ICB_ASSIGN_OR_RETURN(auto replica, GetReplica(deps.store, w.id));
      if (replica && replica->verified_at && replica->provider == target) {
        const double lag = std::max(0.0, std::chrono::duration<double>(at - *replica->verified_at).count());
        out.predicted_rpo_s = Round1(lag + out.rto_parts.detection_s);
      } else {
        out.rpo_reason = replica && replica->verified_at ? "the replica is at " + replica->provider + ", not at " + target
                                                         : "no verified replica yet: the workload's data would not come with it";
      }
    }

    const Profile* profile = w.profile ? &*w.profile : snapshot->FindProfile(w.profile_id);
    if (profile && profile->cost) {
      auto there = MonthlyAt(*snapshot, *profile, target), here = MonthlyAt(*snapshot, *profile, out.from);
      if (there && here) out.monthly_cost_change = std::round((*there - *here) * 100) / 100;
      out.currency = profile->cost->currency;
    }
    if (r.every_tenant || r.scope.Sees(w.id)) drill.workloads.push_back(std::move(out));
  }
  return drill;
}

Result<std::optional<Drill>> Drills::Impl::Get(const std::string& id) {
  ICB_ASSIGN_OR_RETURN(auto stored, deps.store.GetVersioned(DrillKey(id)));
  if (!stored) return std::optional<Drill>();
  json doc = json::parse(stored->value, nullptr, false);
  if (doc.is_discarded()) return Internal("drill " + id + ": stored record is not JSON");
  ICB_ASSIGN_OR_RETURN(auto drill, DrillFromJson(doc));
  return std::optional<Drill>(std::move(drill));
}

Drills::Drills(const WorkloadKindDeps& deps, WorkloadCache& workloads, DrillOptions options)
    : impl_(std::make_shared<Impl>(deps, workloads, std::move(options))) {}

Result<Drill> Drills::Predict(const DrillRequest& r, std::string id) { return impl_->Predict(r, std::move(id)); }

Result<std::vector<Drill>> Drills::StandingDrills() {
  ICB_ASSIGN_OR_RETURN(Impl::Inputs in, impl_->Gather());
  ICB_ASSIGN_OR_RETURN(auto snapshot, impl_->deps.catalog.Snapshot());
  std::set<std::string> providers;
  for (const auto& [workload, provider] : in.runs_on)
    if (snapshot->FindProvider(provider)) providers.insert(provider);
  std::vector<Drill> out;
  for (const auto& p : providers) {
    DrillRequest r;
    r.providers = {p};
    r.every_tenant = true;
    ICB_ASSIGN_OR_RETURN(Drill d, impl_->Plan(in, r, "standing-" + p));
    out.push_back(std::move(d));
  }
  return out;
}

Result<Drill> Drills::Run(const DrillRequest& r, std::string id) {
  ICB_ASSIGN_OR_RETURN(Drill drill, impl_->Predict(r, std::move(id)));
  std::string providers;
  for (const auto& p : drill.providers) providers += (providers.empty() ? "" : ", ") + p;
  size_t placed = 0;
  for (const auto& w : drill.workloads) placed += w.target ? 1 : 0;
  // The drill's id names it as the event's operation: the event is its
  // tenant's (SpaceOf), and GET /v1/events?operation=ID finds it.
  AuditEvent e = MakeEvent(drill.id + "/drill", "drill", impl_->deps.clock.Now(), {"", drill.id, drill.providers.front()},
                           "drill of " + providers + " down: " + std::to_string(placed) + " of " + std::to_string(drill.workloads.size()) +
                               " workloads would be placed",
                           {{"providers", drill.providers}, {"at", FormatRfc3339(drill.at)}});
  e.actor = r.actor;
  CasWrite record{DrillKey(drill.id), 0, DrillToJson(drill).dump(), {}, {}, {}};
  ICB_RETURN_IF_ERROR(impl_->deps.store.CompareAndSetAll({record}, {AuditAppend({e})}).status());
  // Each workload's prediction in its latest drill, whole: what its next
  // failover is held against is one small read when the failover starts.
  WriteBatch latest;
  for (const auto& w : drill.workloads) latest.HashSet(kLatestKey, w.workload, PredictionFor(drill, w.workload, w.from).dump());
  if (!latest.ops().empty()) ICB_RETURN_IF_ERROR(impl_->deps.store.Apply(latest).status());
  return drill;
}

Result<std::optional<Drill>> Drills::Get(const std::string& id) { return impl_->Get(id); }

Result<json> Drills::PredictionOf(const std::string& workload, const std::string& from) {
  ICB_ASSIGN_OR_RETURN(auto stored, impl_->deps.store.HashGet(kLatestKey, workload));
  json p = stored ? json::parse(*stored, nullptr, false) : json();
  if (!p.is_object() || p.value("from", "") != from) return json(nullptr);
  return p;
}

Result<std::optional<Drill>> Drills::LatestFor(const std::string& workload) {
  ICB_ASSIGN_OR_RETURN(auto stored, impl_->deps.store.HashGet(kLatestKey, workload));
  json p = stored ? json::parse(*stored, nullptr, false) : json();
  if (!p.is_object() || !p.value("drill", json()).is_string()) return std::optional<Drill>();
  return impl_->Get(p["drill"].get<std::string>());
}

long long Drills::refused_writes() const { return impl_->read_only.refused(); }

}  // namespace icb

namespace icb {

json PredictionFor(const Drill& d, const std::string& workload, const std::string& from) {
  for (const auto& w : d.workloads) {
    if (w.workload != workload || w.from != from) continue;
    const json all = DrillToJson(Drill{d.id, d.providers, d.at, {w}})["workloads"][0];
    return {{"drill", d.id},
            {"at", FormatRfc3339(d.at)},
            {"from", from},
            {"target", all["target"]},
            {"predicted_rto_s", all["predicted_rto_s"]},
            {"rto_parts", all["rto_parts"]},
            {"predicted_rpo_s", all["predicted_rpo_s"]}};
  }
  return nullptr;
}

std::optional<TimePoint> FirstFailure(const AuditEvent& detected) {
  std::optional<TimePoint> first;
  const json vantages = detected.inputs.value("vantages", json::object());
  for (const auto& [vantage, v] : vantages.items()) {
    for (const auto& s : v.value("samples", json::array())) {
      if (s.value("ok", true) || !s.value("ts", json()).is_string()) continue;
      if (auto ts = ParseRfc3339(s["ts"].get<std::string>()); ts && (!first || *ts < *first)) first = ts;
    }
  }
  return first;
}

json PredictedAgainstAchieved(const Operation& op, std::optional<TimePoint> first_failure) {
  const bool detected = op.request.contains("detected_at");
  const TimePoint decided = Decided(op);
  const TimePoint start = first_failure && detected ? *first_failure : op.created_at;
  json achieved = {{"detection_s", Round1(std::chrono::duration<double>(decided - start).count())},
                   {"capacity_s", nullptr}, {"data_s", nullptr}, {"dns_s", nullptr}, {"verify_s", nullptr}};
  const std::map<std::string, const char*> part_of = {
      {"ensure_capacity", "capacity_s"}, {"sync_data", "data_s"}, {"switch_dns", "dns_s"}, {"verify", "verify_s"}};
  for (const auto& [step, seconds] : StepGaps(op, decided)) {
    if (!seconds) continue;
    // Clients' caches hold the old answer for the record's TTL after the switch.
    const double ttl = std::string_view(step) == "switch_dns" ? op.Step(step)->detail.value("ttl", 0) : 0;
    achieved[part_of.at(step)] = Round1(Round1(*seconds) + ttl);
  }
  double total = 0;
  bool whole = true;
  for (const auto& [part, v] : achieved.items()) {
    if (v.is_number()) total += v.get<double>();
    else whole = false;
  }
  achieved["rto_s"] = whole ? json(Round1(total)) : json(nullptr);
  json rpo = nullptr;
  if (const StepRecord* sync = op.Step("sync_data"); sync && sync->state == StepState::kSucceeded) {
    if (sync->detail.contains("rpo_achieved_s")) rpo = sync->detail["rpo_achieved_s"];
    else if (sync->detail.value("data_sets", json::array()).empty()) rpo = 0;
  }
  achieved["rpo_s"] = rpo;
  const json predicted = op.request.value("drill", json());
  json error = nullptr;
  if (predicted.is_object()) {
    error = json::object();
    const json parts_predicted = predicted.value("rto_parts", json::object());
    for (const auto& [part, v] : parts_predicted.items())
      error[part] = achieved.value(part, json()).is_number() && v.is_number() ? json(Round1(achieved[part].get<double>() - v.get<double>())) : json(nullptr);
    error["rto_s"] = achieved["rto_s"].is_number() && predicted.value("predicted_rto_s", json()).is_number()
                         ? json(Round1(achieved["rto_s"].get<double>() - predicted["predicted_rto_s"].get<double>()))
                         : json(nullptr);
    error["rpo_s"] = rpo.is_number() && predicted.value("predicted_rpo_s", json()).is_number()
                         ? json(Round1(rpo.get<double>() - predicted["predicted_rpo_s"].get<double>()))
                         : json(nullptr);
    error["target_as_predicted"] = predicted.value("target", json()) == json(op.target);
  }
  return {{"predicted", predicted.is_object() ? predicted : json(nullptr)}, {"achieved", std::move(achieved)}, {"error", std::move(error)}};
}

}  // namespace icb
