#include "broker/orchestrator/kinds/steps.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

#include "broker/ranking/ranker.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

namespace {

// Attempts of a step whose provider is unreachable before it gives up.
constexpr int kTransientAttempts = 3;

bool CapacityRefusal(const Status& s) {
  return s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kFailedPrecondition;
}

}  // namespace

StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up,
                          int attempts) {
  const StepRecord* rec = op.Step(step);
  if (rec && rec->attempts < attempts) return StepOutcome::Wait(step + ": " + s.message(), d.wait_recheck);
  return give_up;
}

StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up) {
  return TransientStep(d, op, step, s, std::move(give_up), kTransientAttempts);
}

AuditEvent DecisionEvent(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen, std::string summary,
                         const json& detail) {
  const StepRecord* self = op.Step("choose_target");
  return MakeEvent(op.id + "/decision/" + std::to_string(self ? self->attempts : 0), "decision", d.clock.Now(),
                   {w.id, op.id, chosen ? chosen->provider : op.source}, std::move(summary), detail);
}

StepOutcome ChooseTargetOutcome(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen,
                                const std::string& verb, const std::string& why, json detail, const json& chosen_extra) {
  AuditEvent decision = DecisionEvent(
      d, op, w, chosen,
      chosen ? "workload " + w.id + " " + verb + " " + chosen->provider + " (rank " + std::to_string(chosen->rank) + ")" : "workload " + w.id + ": " + why,
      detail);
  StepOutcome out = chosen ? StepOutcome::Done() : StepOutcome::Fail(why, detail);
  if (chosen) {
    detail["target"] = chosen->provider;
    for (const auto& [k, v] : chosen_extra.items()) detail[k] = v;
    out.detail = std::move(detail);
    out.target = chosen->provider;
  }
  out.along.events.push_back(std::move(decision));
  return out;
}

StepOutcome EnsureCapacityStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w,
                               const std::function<StepOutcome(const std::string& why)>& elsewhere) {
  auto compute = d.adapters.Compute(op.target);
  if (!compute.ok()) return StepOutcome::Fail(compute.status().message());
  auto deployed = (*compute)->Deploy(w.service, op.id + "/deploy");
  if (!deployed.ok()) return TransientStep(d, op, "ensure_capacity", deployed.status(), elsewhere(deployed.status().message()));
  int before = 0;
  if (deployed->instances) {
    before = *deployed->instances;
  } else {
    auto state = (*compute)->State();
    if (!state.ok()) return TransientStep(d, op, "ensure_capacity", state.status(), elsewhere(state.status().message()));
    const ServiceInstances* running = state->Find(w.service);
    before = running ? running->instances : 0;
  }
  if (before < w.instances) {
    Status scaled = (*compute)->Scale(w.service, w.instances, op.id + "/scale");
    if (CapacityRefusal(scaled)) return elsewhere(op.target + " has no room for " + std::to_string(w.instances) + " instances: " + scaled.message());
    if (!scaled.ok()) return TransientStep(d, op, "ensure_capacity", scaled, elsewhere(scaled.message()));
  }
  return StepOutcome::Done({{"provider", op.target}, {"service", w.service}, {"url", deployed->url},
                            {"instances", std::max(before, w.instances)}, {"instances_before", before}});
}

std::optional<int> InstancesAt(const WorkloadKindDeps& d, const std::string& provider, const std::string& service) {
  auto compute = d.adapters.Compute(provider);
  if (!compute.ok()) return std::nullopt;
  auto state = (*compute)->State();
  if (!state.ok()) return std::nullopt;
  const ServiceInstances* running = state->Find(service);
  return running ? running->instances : 0;
}

std::set<std::string> TriedTargets(const Operation& op, bool target_failed) {
  std::set<std::string> tried;
  if (const StepRecord* self = op.Step("choose_target"))
    for (const auto& t : self->detail.value("tried", json::array())) tried.insert(t.get<std::string>());
  if (target_failed && !op.target.empty()) tried.insert(op.target);
  return tried;
}

json GiveBackPassedOver(const WorkloadKindDeps& d, const Operation& op, const Workload& w) {
  const StepRecord* self = op.Step("choose_target");
  json given = self ? self->detail.value("given_back", json::array()) : json::array();
  const StepRecord* capacity = op.Step("ensure_capacity");
  // Something was borrowed only where ensure_capacity ran for this target.
  if (!self || op.target.empty() || !capacity || capacity->detail.value("provider", "") != op.target) return given;
  if (self->detail.value("target", "") != op.target || !self->detail.contains("instances_before")) return given;
  for (const auto& g : given)
    if (g.value("provider", "") == op.target) return given;  // given back by an earlier run
  const int before = self->detail["instances_before"].get<int>();
  json entry = {{"provider", op.target}, {"to", before}};
  auto compute = d.adapters.Compute(op.target);
  auto now = InstancesAt(d, op.target, w.service);
  if (!compute.ok() || !now) {
    entry["error"] = compute.ok() ? "its compute adapter did not report what runs there" : compute.status().message();
  } else if (*now > before) {
    entry["from"] = *now;
    Status scaled = (*compute)->Scale(w.service, before, op.id + "/give_back/" + op.target);
    if (!scaled.ok()) entry["error"] = scaled.message();
  } else {
    entry["from"] = *now;  // nothing more than before runs there
  }
  given.push_back(std::move(entry));
  return given;
}

StepOutcome VerifyStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, bool can_choose_again, const std::string& vantage) {
  const StepRecord* capacity = op.Step("ensure_capacity");
  const std::string url = capacity ? capacity->detail.value("url", "") : "";
  ProbeTarget target{op.target, "workload:" + w.id, url, ProbeSettings{}, vantage};
  // Two intervals, at least 2 s: a target just started, on a provider busy
  // with a disaster's worth of deployments, may answer slowly at first
  // without being down.
  target.settings.timeout = std::clamp<Millis>(w.failover.interval * 2, Millis(2000), Millis(5000));
  json probes = json::array();
  std::string failure;
  for (int i = 0; i < w.failover.recoveries; ++i) {
    QosSample s = d.probes.Run(target);
    json probe = {{"ok", s.ok}, {"status", s.status}, {"error", std::string(ProbeErrorName(s.error))}};
    probe["latency_ms"] = s.latency_ms ? json(*s.latency_ms) : json(nullptr);
    probes.push_back(std::move(probe));
    if (!s.ok) {
      failure = std::string(ProbeErrorName(s.error)) + (s.status ? " (status " + std::to_string(s.status) + ")" : "");
      break;
    }
  }
  json detail = {{"url", url}, {"probes", std::move(probes)}, {"needed", w.failover.recoveries}};
  if (!vantage.empty()) detail["vantage"] = vantage;
  if (failure.empty()) return StepOutcome::Done(detail);
  const std::string why = op.target + " does not answer at " + url + ": " + failure;
  if (can_choose_again) return StepOutcome::Retry(why, "choose_target", detail);
  return StepOutcome::Fail(why, detail);
}

Result<Workload> LoadWorkload(Catalog& catalog, const std::string& id) {
  ICB_ASSIGN_OR_RETURN(std::string text, catalog.Get(Collection::kWorkloads, id));
  ICB_ASSIGN_OR_RETURN(json doc, ParseJson(text));
  return WorkloadFromJson(doc);
}

json CandidatesToJson(const std::vector<Candidate>& candidates) {
  json out = json::array();
  for (const auto& c : candidates) {
    json e = {{"provider", c.provider}, {"reasons", c.reasons}};
    e["rank"] = c.rank > 0 ? json(c.rank) : json(nullptr);
    e["score"] = c.rank > 0 ? json(c.score) : json(nullptr);
    e["room"] = c.room >= 0 ? json(c.room) : json(nullptr);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

Result<RankResult> RankFor(const WorkloadKindDeps& deps, const std::shared_ptr<const CatalogSnapshot>& snapshot, const Workload& w) {
  const Profile* profile = w.profile ? &*w.profile : snapshot->FindProfile(w.profile_id);
  if (!profile) return NotFound("workload " + w.id + ": no profile \"" + w.profile_id + "\"");
  ICB_RETURN_IF_ERROR(deps.policies.CheckName(profile->policy, "/profile/policy"));
  const RankingPolicy* policy = deps.policies.Find(profile->policy);
  const TimePoint now = deps.clock.Now();
  RankEvidence evidence;
  ICB_RETURN_IF_ERROR(GatherRankEvidence(snapshot, *profile, "/profile", now, deps.qos, evidence));
  return Rank(*snapshot, *profile, *policy, now, 0, evidence.inputs());
}

}  // namespace

Result<std::vector<Candidate>> EvaluateCandidates(const WorkloadKindDeps& deps, const Workload& w, const std::set<std::string>& excluded,
                                                  const std::map<std::string, int>& reserved, CandidateReads* reads) {
  ICB_ASSIGN_OR_RETURN(auto snapshot, deps.catalog.Snapshot());
  // A workload's own inline profile is ranked for it alone.
  const bool shared_profile = reads && !w.profile;
  const RankResult* memo = nullptr;
  if (shared_profile) {
    if (auto it = reads->ranked.find(w.profile_id); it != reads->ranked.end()) memo = &it->second;
  }
  RankResult ranked;
  if (memo) {
    ranked = *memo;
  } else {
    ICB_ASSIGN_OR_RETURN(ranked, RankFor(deps, snapshot, w));
    if (shared_profile) reads->ranked.emplace(w.profile_id, ranked);
  }
  const std::set<std::string> allowed(w.candidates.begin(), w.candidates.end());
  auto eligible = [&](const std::string& id) {
    if (excluded.count(id) || (!allowed.empty() && !allowed.count(id))) return false;
    const ProviderEntry* e = snapshot->FindProvider(id);
    return e && e->provider.adapters.count(ComputeProvider::kCapability) > 0;
  };
  std::vector<Candidate> out;
  for (const auto& r : ranked.ranking) {
    if (!eligible(r.provider)) continue;
    Candidate c{r.provider, r.rank, r.score, -1, {}};
    auto read_state = [&]() -> Result<ComputeState> {
      auto compute = deps.adapters.Compute(r.provider);
      return compute.ok() ? (*compute)->State() : Result<ComputeState>(compute.status());
    };
    const Result<ComputeState> state = [&]() -> Result<ComputeState> {
      if (!reads) return read_state();
      auto it = reads->states.find(r.provider);
      if (it == reads->states.end()) it = reads->states.emplace(r.provider, read_state()).first;
      return it->second;
    }();
    if (!state.ok()) {
      c.reasons.push_back("compute state unavailable: " + state.status().message());
    } else {
      auto it = reserved.find(r.provider);
      c.room = std::max(0, state->Room(w.service) - (it == reserved.end() ? 0 : it->second));
      if (c.room < w.instances) {
        const bool quota = state->quota <= state->capacity;
        c.reasons.push_back((quota ? "over quota: " : "no capacity: ") + std::to_string(c.room) + " of " + std::to_string(w.instances) +
                            " instances free");
      }
    }
    out.push_back(std::move(c));
  }
  for (const auto& x : ranked.excluded) {
    if (!eligible(x.provider)) continue;
    out.push_back(Candidate{x.provider, 0, 0, -1, x.reasons.empty() ? std::vector<std::string>{"excluded by the profile"} : x.reasons});
  }
  return out;
}

}  // namespace icb

namespace icb {

namespace {

// The host of an http(s) URL: what a DNS record points at.
std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') return authority.substr(1, authority.find(']') - 1);
  return authority.substr(0, authority.find(':'));
}

// A, AAAA or CNAME, as the host is written.
std::string RecordType(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return "A";
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) return "AAAA";
  return "CNAME";
}

bool SameViews(const std::vector<DnsView>& a, const std::vector<DnsView>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].networks != b[i].networks || a[i].contents != b[i].contents) return false;
  return true;
}

}  // namespace

json AudienceLatencyJson(const AudienceLatencies& latencies, const std::string& workload, const std::string& audience, const std::string& provider,
                         double objective) {
  const std::optional<LatencyReading> r = latencies.Latency(workload, audience, provider);
  if (!r) return nullptr;
  json out = {{"samples", {{"ok", r->ok}, {"failed", r->failed}}}, {"failing", r->failing}, {"measured", r->measured()}};
  out["p95_ms"] = r->p95_ms ? json(std::round(*r->p95_ms * 10) / 10) : json(nullptr);
  if (r->measured()) out["meets_objective"] = *r->p95_ms <= objective;
  return out;
}

Result<DnsRecordSet> WorkloadRecord(const Workload& w, const std::string& url, const std::map<std::string, AudiencePlacement>& away) {
  const std::string host = UrlHost(url);
  DnsRecordSet r{w.dns.name, RecordType(host), w.dns.ttl_s, {}, {}};
  r.contents = {r.type == "CNAME" && !host.ends_with(".") ? host + "." : host};
  for (const auto& a : w.audiences) {
    auto it = away.find(a.id);
    if (it == away.end()) continue;
    const std::string there = UrlHost(it->second.url);
    if (r.type == "CNAME" || RecordType(there) != r.type)
      return InvalidArgument("audience " + a.id + " is served at " + there + ", which a " + r.type + " record for " + host + " cannot answer beside it");
    DnsView view;
    for (const auto& n : a.networks) view.networks.push_back(n.ToString());
    view.contents = {there};
    r.views.push_back(std::move(view));
  }
  return r;
}

StepOutcome SwitchRecordStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const std::string& step, const DnsRecordSet& record) {
  auto dns = d.adapters.Dns(w.dns.provider);
  if (!dns.ok()) return StepOutcome::Fail(dns.status().message());
  if (!record.views.empty() && !(*dns)->AnswersByClientNetwork())
    return StepOutcome::Fail("the DNS adapter of " + w.dns.provider + " cannot answer by client network, which serving audiences apart needs");
  auto before = (*dns)->Get(record.name, record.type);
  if (!before.ok()) return TransientStep(d, op, step, before.status(), StepOutcome::Fail(before.status().message()));
  json views = json::array();
  for (const auto& v : record.views) views.push_back({{"networks", v.networks}, {"contents", v.contents}});
  json detail = {{"name", record.name}, {"type", record.type}, {"address", record.contents.front()}, {"ttl", record.ttl}};
  if (!record.views.empty()) detail["views"] = std::move(views);
  detail["previous"] = *before ? json((*before)->contents) : json(nullptr);
  if (*before && (*before)->contents == record.contents && (*before)->ttl == record.ttl && SameViews((*before)->views, record.views)) {
    detail["changed"] = false;  // already so (a step run again after a crash)
    return StepOutcome::Done(std::move(detail));
  }
  Status replaced = (*dns)->Replace(record);
  if (!replaced.ok()) return TransientStep(d, op, step, replaced, StepOutcome::Fail(replaced.message()));
  detail["changed"] = true;
  return StepOutcome::Done(std::move(detail));
}

StepOutcome ReleaseCapacityStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const std::string& provider, int back_to) {
  json detail = {{"provider", provider}, {"service", w.service}, {"instances_before", back_to}};
  auto compute = d.adapters.Compute(provider);
  if (!compute.ok()) return StepOutcome::Fail(compute.status().message());
  auto state = (*compute)->State();
  if (!state.ok()) return TransientStep(d, op, "release_capacity", state.status(), StepOutcome::Fail(state.status().message()));
  const ServiceInstances* running = state->Find(w.service);
  const int now = running ? running->instances : 0;
  detail["instances"] = now;
  if (now <= back_to) {
    detail["released"] = false;  // nothing borrowed is left (a step run again after a crash)
    return StepOutcome::Done(detail);
  }
  Status scaled = (*compute)->Scale(w.service, back_to, op.id + "/scale");
  if (!scaled.ok()) return TransientStep(d, op, "release_capacity", scaled, StepOutcome::Fail(scaled.message()));
  detail["released"] = true;
  return StepOutcome::Done(detail);
}

}  // namespace icb
