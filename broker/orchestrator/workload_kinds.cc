#include "broker/orchestrator/workload_kinds.h"

#include <arpa/inet.h>

#include <algorithm>

#include "broker/core/time.h"
#include "broker/orchestrator/burst_kind.h"
#include "broker/orchestrator/split_weights.h"
#include "broker/orchestrator/replication.h"
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

// A and AAAA for addresses, CNAME for names.
DnsRecordSet RecordFor(const Workload& w, const std::string& host) {
  unsigned char buf[16];
  DnsRecordSet r{w.dns.name, "CNAME", w.dns.ttl_s, {}};
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) r.type = "A";
  else if (inet_pton(AF_INET6, host.c_str(), buf) == 1) r.type = "AAAA";
  r.contents = {r.type == "CNAME" && !host.ends_with(".") ? host + "." : host};
  return r;
}

class WorkloadSteps {
 public:
  explicit WorkloadSteps(const WorkloadKindDeps& deps) : d_(deps) {}

  StepOutcome Run(const std::string& step, const Operation& op) {
    auto w = LoadWorkload(d_.catalog, op.workload);
    if (!w.ok()) return StepOutcome::Fail("workload " + op.workload + ": " + w.status().message());
    if (step == "choose_target") return ChooseTarget(op, *w);
    if (step == "ensure_capacity") return EnsureCapacity(op, *w);
    if (step == "sync_data") return SyncData(op, *w);
    if (step == "switch_dns") return SwitchDns(op, *w);
    if (step == "verify") return Verify(op, *w);
    if (step == "drain_source") return DrainSource(op);
    return StepOutcome::Fail("no step " + step);
  }

  // The failover's and the place's last write: the workload's status
  // released, and where it runs now.
  Result<Along> Finish(const Operation& op) {
    Along along;
    ICB_ASSIGN_OR_RETURN(auto status, GetWorkloadStatus(d_.store, op.workload));
    if (!status || status->operation != op.id) return along;  // not ours (or forgotten): leave it
    WorkloadStatus s = *status;
    s.operation.clear();
    const bool automatic = op.request.value("trigger", "") == "automatic";
    const StepRecord* chose = op.Step("choose_target");
    if (op.state == OperationState::kSucceeded) {
      s.state = "running";
      if (const StepRecord* capacity = op.Step("ensure_capacity")) s.url = capacity->detail.value("url", s.url);
      if (op.kind == "place") {
        s.placed_digest = op.request.value("digest", "");
      } else if (!op.target.empty() && op.target != s.placement) {
        s.placement = op.target;
        s.since = d_.clock.Now();
      }
    } else if (chose && chose->state == StepState::kFailed) {
      s.state = "unplaced";
      AuditEvent e;
      e.id = op.id + "/unplaced";
      e.at = d_.clock.Now();
      e.kind = "unplaced";
      e.workload = op.workload;
      e.operation = op.id;
      e.provider = op.source;
      e.summary = "workload " + op.workload + " has no target: " + op.reason;
      e.inputs = chose->detail;
      along.events.push_back(std::move(e));
    } else if ((op.state == OperationState::kCancelled && !automatic) || op.kind == "migration") {
      s.state = "running";  // a planned move that did not happen leaves it where it runs
    } else {
      s.state = "degraded";
    }
    along.writes.push_back(WorkloadStatusWrite(op.workload, s));
    return along;
  }

 private:
  StepOutcome Transient(const Operation& op, const std::string& step, const Status& s, StepOutcome give_up) {
    return TransientStep(d_, op, step, s, std::move(give_up));
  }

  StepOutcome ChooseTarget(const Operation& op, const Workload& w) {
    const StepRecord* self = op.Step("choose_target");
    // Targets already tried by this operation (a failed verify or a
    // capacity that went) are not chosen again.
    std::set<std::string> tried;
    if (self)
      for (const auto& t : self->detail.value("tried", json::array())) tried.insert(t.get<std::string>());
    const std::string requested = op.request.value("to", "");
    if (!op.target.empty() && requested.empty()) tried.insert(op.target);
    std::set<std::string> excluded = tried;
    if (!op.source.empty()) excluded.insert(op.source);
    json given_back = GiveBackPassedOver(d_, op, w);
    auto candidates = EvaluateCandidates(d_, w, excluded);
    if (!candidates.ok()) return Transient(op, "choose_target", candidates.status(), StepOutcome::Fail(candidates.status().message()));
    json detail = {{"tried", json(std::vector<std::string>(tried.begin(), tried.end()))},
                   {"recovery_class", w.recovery_class == RecoveryClass::kQuality ? "quality" : "fast"},
                   {"candidates", CandidatesToJson(*candidates)}};
    if (!given_back.empty()) detail["given_back"] = std::move(given_back);
    const Candidate* chosen = nullptr;
    std::string why;
    if (!requested.empty()) {
      auto it = std::find_if(candidates->begin(), candidates->end(), [&](const Candidate& c) { return c.provider == requested; });
      if (it == candidates->end()) why = "requested target " + requested + " is not a candidate";
      else if (!it->fits()) why = "requested target " + requested + " cannot take it: " + it->reasons.front();
      else chosen = &*it;
    } else {
      const Candidate* best = nullptr;  // the best-ranked, with room or not
      for (const auto& c : *candidates) {
        if (c.rank > 0 && !best) best = &c;
        if (c.fits() && !chosen) chosen = &c;
      }
      if (w.recovery_class == RecoveryClass::kQuality && best && chosen != best) {
        // Quality waits for its best-ranked target, up to its RTO.
        const double rto_s = w.rto_s.value_or(0);
        const auto waited = std::chrono::duration<double>(d_.clock.Now() - op.created_at).count();
        if (waited < rto_s) {
          return StepOutcome::Wait("waiting for best-ranked " + best->provider + " to have room for " + std::to_string(w.instances) +
                                       " instances (RTO " + FormatNumber(rto_s) + " s)",
                                   d_.wait_recheck);
        }
        detail["rto_spent"] = true;
      }
      if (!chosen) why = "no candidate can take " + std::to_string(w.instances) + " instances of " + w.service;
    }
    AuditEvent decision = DecisionEvent(d_, op, w, chosen,
                                        chosen ? "workload " + w.id + " goes to " + chosen->provider + " (rank " + std::to_string(chosen->rank) + ")"
                                               : "workload " + w.id + ": " + why,
                                        detail);
    if (!chosen) {
      StepOutcome out = StepOutcome::Fail(why, detail);
      out.along.events.push_back(std::move(decision));
      return out;
    }
    detail["target"] = chosen->provider;
    // What the target runs before anything is borrowed there (what a
    // target passed over is given back to). Unknown: nothing is given back
    // there, and the failover is not held up for it.
    if (auto before = InstancesAt(d_, chosen->provider, w.service)) detail["instances_before"] = *before;
    StepOutcome out = StepOutcome::Done(detail);
    out.target = chosen->provider;
    out.along.events.push_back(std::move(decision));
    return out;
  }

  StepOutcome EnsureCapacity(const Operation& op, const Workload& w) {
    const bool can_choose_again = op.kind == "failover" && op.request.value("to", "").empty();
    return EnsureCapacityStep(d_, op, w, [&](const std::string& why) {
      return can_choose_again ? StepOutcome::Retry(why, "choose_target") : StepOutcome::Fail(why);
    });
  }

  StepOutcome SyncData(const Operation& op, const Workload& w) {
    json sets = json::array();
    for (const auto& d : w.data) sets.push_back({{"name", d.name}, {"prefix", d.prefix}});
    json detail = {{"data_sets", std::move(sets)}, {"copied", false}};
    if (w.data.empty()) return StepOutcome::Done(detail);
    // The warm copy replication keeps: at the target, its moment is what
    // the workload comes back with; the data loss window runs from it to
    // the failure (the RPO achieved).
    auto replica = GetReplica(d_.store, op.workload);
    if (!replica.ok()) return Transient(op, "sync_data", replica.status(), StepOutcome::Fail(replica.status().message()));
    if (!*replica || !(*replica)->verified_at || (*replica)->provider != op.target) {
      detail["replica"] = nullptr;
      detail["reason"] = *replica && (*replica)->verified_at ? "the replica is at " + (*replica)->provider + ", not at " + op.target
                                                              : "no verified replica yet";
      return StepOutcome::Done(detail);
    }
    const TimePoint failed_at = op.created_at;
    const double achieved = std::max(0.0, std::chrono::duration<double>(failed_at - *(*replica)->verified_at).count());
    detail["replica"] = {{"provider", (*replica)->provider}, {"verified_at", FormatRfc3339(*(*replica)->verified_at)},
                         {"operation", (*replica)->operation}};
    detail["rpo_achieved_s"] = std::round(achieved * 10) / 10;
    detail["data_loss_window"] = {{"from", FormatRfc3339(*(*replica)->verified_at)}, {"to", FormatRfc3339(failed_at)}};
    if (w.rpo_s) {
      detail["rpo_s"] = *w.rpo_s;
      detail["rpo_met"] = achieved <= *w.rpo_s;
    }
    detail["copied"] = true;  // by replication, verified object by object
    return StepOutcome::Done(detail);
  }

  StepOutcome SwitchDns(const Operation& op, const Workload& w) {
    const StepRecord* capacity = op.Step("ensure_capacity");
    const std::string url = capacity ? capacity->detail.value("url", "") : "";
    if (url.empty()) return StepOutcome::Fail("no serving address recorded by ensure_capacity");
    const DnsRecordSet record = RecordFor(w, UrlHost(url));
    auto dns = d_.adapters.Dns(w.dns.provider);
    if (!dns.ok()) return StepOutcome::Fail(dns.status().message());
    auto before = (*dns)->Get(record.name, record.type);
    if (!before.ok()) return Transient(op, "switch_dns", before.status(), StepOutcome::Fail(before.status().message()));
    json detail = {{"name", record.name}, {"type", record.type}, {"address", record.contents.front()}, {"ttl", record.ttl}};
    detail["previous"] = *before ? json((*before)->contents) : json(nullptr);
    if (*before && (*before)->contents == record.contents && (*before)->ttl == record.ttl) {
      detail["changed"] = false;  // already so (a step run again after a crash)
      return SplitHome(op, w, std::move(detail));
    }
    Status replaced = (*dns)->Replace(record);
    if (!replaced.ok()) return Transient(op, "switch_dns", replaced, StepOutcome::Fail(replaced.message()));
    detail["changed"] = true;
    return SplitHome(op, w, std::move(detail));
  }

  // With the record, the workload's split: every weight on where it runs
  // now (a burst in force keeps its share; its scale back brings it home).
  StepOutcome SplitHome(const Operation& op, const Workload& w, json detail) {
    if (!w.split || !w.split->servers.count(op.target)) return StepOutcome::Done(std::move(detail));
    auto burst = GetBurst(d_.store, w.id);
    if (!burst.ok()) return Transient(op, "switch_dns", burst.status(), StepOutcome::Fail(burst.status().message()));
    if (*burst && (*burst)->bursting && (*burst)->source == op.target) {
      detail["split"] = {{"changed", false}, {"reason", "burst to " + (*burst)->secondary + " in force"}};
      return StepOutcome::Done(std::move(detail));
    }
    auto applied = ApplySplitWeights(d_.adapters, w, SplitWeights(w, op.target, "", 0));
    if (!applied.ok()) return Transient(op, "switch_dns", applied.status(), StepOutcome::Fail(applied.status().message()));
    detail["split"] = std::move(*applied);
    return StepOutcome::Done(std::move(detail));
  }

  StepOutcome Verify(const Operation& op, const Workload& w) {
    return VerifyStep(d_, op, w, op.kind == "failover" && op.request.value("to", "").empty());
  }

  StepOutcome DrainSource(const Operation& op) {
    auto status = GetWorkloadStatus(d_.store, op.workload);
    if (!status.ok()) return StepOutcome::Wait("workload status: " + status.status().message(), d_.wait_recheck);
    StepOutcome out = StepOutcome::Done({{"drained", op.source}, {"deleted", false}});
    if (*status && !op.source.empty() && std::find((*status)->drained.begin(), (*status)->drained.end(), op.source) == (*status)->drained.end()) {
      WorkloadStatus s = **status;
      s.drained.push_back(op.source);
      out.along.writes.push_back(WorkloadStatusWrite(op.workload, s));
    }
    return out;
  }

  WorkloadKindDeps d_;
};

}  // namespace

StepOutcome TransientStep(const WorkloadKindDeps& d, const Operation& op, const std::string& step, const Status& s, StepOutcome give_up) {
  const StepRecord* rec = op.Step(step);
  if (rec && rec->attempts < kTransientAttempts) return StepOutcome::Wait(step + ": " + s.message(), d.wait_recheck);
  return give_up;
}

AuditEvent DecisionEvent(const WorkloadKindDeps& d, const Operation& op, const Workload& w, const Candidate* chosen, std::string summary,
                         const json& detail) {
  const StepRecord* self = op.Step("choose_target");
  AuditEvent e;
  e.id = op.id + "/decision/" + std::to_string(self ? self->attempts : 0);
  e.at = d.clock.Now();
  e.kind = "decision";
  e.workload = w.id;
  e.operation = op.id;
  e.provider = chosen ? chosen->provider : op.source;
  e.summary = std::move(summary);
  e.inputs = detail;
  return e;
}

StepOutcome EnsureCapacityStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w,
                               const std::function<StepOutcome(const std::string& why)>& elsewhere) {
  auto compute = d.adapters.Compute(op.target);
  if (!compute.ok()) return StepOutcome::Fail(compute.status().message());
  auto deployed = (*compute)->Deploy(w.service, op.id + "/deploy");
  if (!deployed.ok()) return TransientStep(d, op, "ensure_capacity", deployed.status(), elsewhere(deployed.status().message()));
  auto state = (*compute)->State();
  if (!state.ok()) return TransientStep(d, op, "ensure_capacity", state.status(), elsewhere(state.status().message()));
  const ServiceInstances* running = state->Find(w.service);
  const int before = running ? running->instances : 0;
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

StepOutcome VerifyStep(const WorkloadKindDeps& d, const Operation& op, const Workload& w, bool can_choose_again) {
  const StepRecord* capacity = op.Step("ensure_capacity");
  const std::string url = capacity ? capacity->detail.value("url", "") : "";
  ProbeTarget target{op.target, "workload:" + w.id, url, ProbeSettings{}};
  target.settings.timeout = std::min<Millis>(w.failover.interval * 2, Millis(5000));
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

Result<std::vector<Candidate>> EvaluateCandidates(const WorkloadKindDeps& deps, const Workload& w, const std::set<std::string>& excluded,
                                                  const std::map<std::string, int>& reserved) {
  ICB_ASSIGN_OR_RETURN(auto snapshot, deps.catalog.Snapshot());
  const Profile* profile = w.profile ? &*w.profile : snapshot->FindProfile(w.profile_id);
  if (!profile) return NotFound("workload " + w.id + ": no profile \"" + w.profile_id + "\"");
  ICB_RETURN_IF_ERROR(deps.policies.CheckName(profile->policy, "/profile/policy"));
  const RankingPolicy* policy = deps.policies.Find(profile->policy);
  const TimePoint now = deps.clock.Now();
  RankEvidence evidence;
  ICB_RETURN_IF_ERROR(GatherRankEvidence(snapshot, *profile, "/profile", now, deps.qos, evidence));
  ICB_ASSIGN_OR_RETURN(RankResult ranked, Rank(*snapshot, *profile, *policy, now, 0, evidence.inputs()));
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
    auto compute = deps.adapters.Compute(r.provider);
    auto state = compute.ok() ? (*compute)->State() : Result<ComputeState>(compute.status());
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

void RegisterWorkloadKinds(OperationKinds& kinds, const WorkloadKindDeps& deps) {
  auto steps = std::make_shared<WorkloadSteps>(deps);
  auto run = [steps](const std::string& step, const Operation& op) { return steps->Run(step, op); };
  auto finish = [steps](const Operation& op) { return steps->Finish(op); };
  kinds.Register("place", {{"ensure_capacity", "switch_dns", "verify"}, run, finish});
  kinds.Register("failover", {{"choose_target", "ensure_capacity", "sync_data", "switch_dns", "verify", "drain_source"}, run, finish});
}

}  // namespace icb
