// Drills: the recovery's own plan over read-only adapters. What a drill
// predicts is what the recovery then does (targets, order), nothing a drill
// runs changes anything (no provider call that changes something, no
// operation, no status, only the drill and its event), and each RTO part
// comes from where docs/features.md says.
#include <gtest/gtest.h>

#include "broker/orchestrator/drills/drill.h"
#include "broker/orchestrator/state/replica.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::WorkloadDoc;

class DrillTest : public testing::ScheduledOrchestrationTest {
 protected:
  DrillTest() { StartOrchestrator(Options("broker-1")); }

  Drill RunDrill(std::vector<std::string> providers) {
    DrillRequest r;
    r.providers = std::move(providers);
    auto drill = orchestrator_->RunDrill(r);
    EXPECT_TRUE(drill.ok()) << drill.status().ToString();
    return drill.ok() ? *drill : Drill{};
  }
  const DrillWorkload* Find(const Drill& d, const std::string& w) {
    for (const auto& x : d.workloads)
      if (x.workload == w) return &x;
    return nullptr;
  }
  // Everything a drill must leave as it was: every provider's calls, each
  // workload's status and record, the operations, the trail but drills.
  std::string World(const std::vector<std::string>& workloads) {
    std::string view;
    for (const char* p : {"sim-a", "sim-b", "sim-c"}) view += std::string(p) + " calls " + std::to_string(adapters_.compute(p).Calls().size()) + "\n";
    for (const auto& w : workloads) {
      view += w + " " + WorkloadStatusToJson(Status(w)).dump() + " dns " + adapters_.ARecord(w + ".lab.example.") + "\n";
    }
    for (const char* kind : {"place", "failover", "recovery"}) view += std::string(kind) + " " + std::to_string(Ops(kind).size()) + "\n";
    AuditFilter f;
    f.limit = 1000;
    const auto page = AuditLog(*store_).Query(f);  // named: a loop over a temporary's member would dangle
    for (const auto& e : page->events)
      if (e.kind != "drill") view += e.id + "\n";
    return view;
  }
};

TEST_F(DrillTest, ItPredictsTheRecoverysTargetsInItsOrderAndChangesNothing) {
  // sim-a runs three; sim-b has room for two of them (quota 20), so the
  // lowest priority goes to sim-c.
  Put(WorkloadDoc("w3", 3, "fast", 8));
  Put(WorkloadDoc("w1", 1, "fast", 8));
  Put(WorkloadDoc("w2", 2, "fast", 8));
  Put(WorkloadDoc("elsewhere", 1, "fast", 2, "sim-c"));
  Run(3);
  const std::vector<std::string> all = {"w1", "w2", "w3", "elsewhere"};
  const std::string before = World(all);

  Drill drill = RunDrill({"sim-a"});
  EXPECT_EQ(World(all), before);
  EXPECT_EQ(orchestrator_->drills().refused_writes(), 0);
  ASSERT_EQ(drill.workloads.size(), 3u);  // only what runs on sim-a
  EXPECT_EQ(drill.workloads[0].workload, "w1");
  EXPECT_EQ(drill.workloads[1].workload, "w2");
  EXPECT_EQ(drill.workloads[2].workload, "w3");
  EXPECT_EQ(drill.workloads[0].target, "sim-b");
  EXPECT_EQ(drill.workloads[1].target, "sim-b");
  EXPECT_EQ(drill.workloads[2].target, "sim-c");
  for (const auto& w : drill.workloads) EXPECT_EQ(w.from, "sim-a");
  // Kept, with its event.
  auto stored = orchestrator_->drills().Get(drill.id);
  ASSERT_TRUE(stored.ok() && *stored) << (stored.ok() ? "none" : stored.status().ToString());
  EXPECT_EQ(DrillToJson(**stored), DrillToJson(drill));
  auto latest = orchestrator_->drills().LatestFor("w2");
  ASSERT_TRUE(latest.ok() && *latest);
  EXPECT_EQ((*latest)->id, drill.id);
  ASSERT_EQ(Events("drill").size(), 1u);
  EXPECT_EQ(Events("drill")[0].operation, drill.id);

  // The disaster itself lands each where the drill said.
  ASSERT_TRUE(orchestrator_->StartRecovery("sim-a", {"w1", "w2", "w3"}).ok());
  Run(20);
  for (const auto& w : drill.workloads) EXPECT_EQ(Status(w.workload).placement, *w.target) << w.workload;
}

TEST_F(DrillTest, AFailoverKeepsItsDrillsPredictionAndShowsWhatItAchievedBesideIt) {
  Put(WorkloadDoc("w1", 1, "fast", 2));
  Put(WorkloadDoc("w2", 2, "fast", 2));
  Run(3);
  Drill drill = RunDrill({"sim-a"});
  const TimePoint first_failure = clock_.Now();
  Run(3);
  const TimePoint detected = clock_.Now();
  ASSERT_TRUE(orchestrator_->StartRecovery("sim-a", {"w1", "w2"}, detected).ok());
  // A later drill does not change what the failovers are held against.
  Run(1);
  (void)RunDrill({"sim-a"});
  Run(20);
  for (const auto& op : Ops("failover")) {
    ASSERT_EQ(op.state, OperationState::kSucceeded) << op.reason;
    const json rto = PredictedAgainstAchieved(op, first_failure);
    ASSERT_TRUE(rto["predicted"].is_object()) << rto.dump() << " request " << op.request.dump();
    EXPECT_EQ(rto["predicted"]["drill"], drill.id);
    EXPECT_EQ(rto["predicted"]["target"], op.target);
    EXPECT_TRUE(rto["error"]["target_as_predicted"].get<bool>());
    const json& a = rto["achieved"];
    EXPECT_DOUBLE_EQ(a["detection_s"].get<double>(), 3.0);  // first failed probe -> detected
    double sum = 0;
    for (const char* part : {"detection_s", "capacity_s", "data_s", "dns_s", "verify_s"}) {
      ASSERT_TRUE(a[part].is_number()) << part << " " << rto.dump();
      sum += a[part].get<double>();
      EXPECT_DOUBLE_EQ(rto["error"][part].get<double>(), std::round((a[part].get<double>() - rto["predicted"]["rto_parts"][part].get<double>()) * 10) / 10) << part;
    }
    EXPECT_NEAR(a["rto_s"].get<double>(), sum, 0.051);
    EXPECT_GE(a["dns_s"].get<double>(), 5);  // the record's TTL counts, as in the prediction
    // From the first failed probe to verified, plus the TTL.
    const TimePoint verified = *op.Step("verify")->ended_at;
    EXPECT_NEAR(a["rto_s"].get<double>(), std::chrono::duration<double>(verified - first_failure).count() + 5, 0.051);
    EXPECT_EQ(a["rpo_s"], 0);  // no data sets
  }
  // A failover started before any drill has nothing to be held against.
  Put(WorkloadDoc("w3", 3, "fast", 2, "sim-c"));
  Run(6);  // the next reconcile pass places it
  auto manual = orchestrator_->StartFailover("w3", {"sim-b", "", "manual", "operator", {}});
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  Run(10);
  const json rto = PredictedAgainstAchieved(Op(manual->id), std::nullopt);
  EXPECT_TRUE(rto["predicted"].is_null());
  EXPECT_TRUE(rto["error"].is_null());
  EXPECT_DOUBLE_EQ(rto["achieved"]["detection_s"].get<double>(), 0);
  EXPECT_TRUE(rto["achieved"]["rto_s"].is_number());
}

TEST(DrillFirstFailure, TheEarliestFailingSampleOfAnyVantage) {
  AuditEvent e = MakeEvent("x", "detected", TimePoint{}, {"w", "", "sim-a"}, "down",
                           json::parse(R"({"vantages": {"seoul": {"samples": [{"ts": "2026-12-01T00:00:02Z", "ok": false}, {"ts": "2026-12-01T00:00:03Z", "ok": false}]},
                                                         "busan": {"samples": [{"ts": "2026-12-01T00:00:00Z", "ok": true}, {"ts": "2026-12-01T00:00:01Z", "ok": false}]}}})"));
  EXPECT_EQ(FirstFailure(e), ParseRfc3339("2026-12-01T00:00:01Z"));
  EXPECT_FALSE(FirstFailure(MakeEvent("y", "detected", TimePoint{}, {"w", "", ""}, "down", json::object())));
}

TEST_F(DrillTest, EachPartOfTheRtoComesFromSettingsTheSlaOrWhatWasMeasured) {
  Put(WorkloadDoc("w1", 1, "fast", 2));
  Put(WorkloadDoc("w2", 2, "fast", 2));
  Run(3);
  Drill first = RunDrill({"sim-a"});
  ASSERT_EQ(first.workloads.size(), 2u);
  const DrillWorkload& w1 = first.workloads[0];
  // Detection: interval 1 s x 3 failures; verify: 1 s x 2 recoveries; DNS:
  // the record's TTL (5 s); nothing measured at sim-b yet.
  EXPECT_DOUBLE_EQ(w1.rto_parts.detection_s, 3);
  EXPECT_DOUBLE_EQ(w1.rto_parts.verify_s, 2);
  EXPECT_DOUBLE_EQ(w1.rto_parts.dns_s, 5);
  EXPECT_EQ(w1.rto_basis.at("detection"), "settings");
  EXPECT_EQ(w1.rto_basis.at("verify"), "settings");
  EXPECT_NE(w1.rto_basis.at("capacity"), "measured");
  EXPECT_DOUBLE_EQ(*w1.predicted_rto_s, w1.rto_parts.total());
  EXPECT_EQ(w1.rto_s, 30);
  // One operation at a time (no workers): the second waits a wave.
  EXPECT_EQ(first.workloads[0].wave, 0);
  EXPECT_EQ(first.workloads[1].wave, 1);
  // No data sets: nothing to lose.
  EXPECT_EQ(w1.predicted_rpo_s, 0);

  // After the recovery, a drill of sim-b sends them home to sim-a, where
  // their placements ran: capacity, DNS and verify are measured there.
  ASSERT_TRUE(orchestrator_->StartRecovery("sim-a", {"w1", "w2"}).ok());
  Run(20);
  ASSERT_EQ(Status("w1").placement, "sim-b");
  Drill back = RunDrill({"sim-b"});
  ASSERT_EQ(back.workloads.size(), 2u);
  EXPECT_EQ(back.workloads[0].target, "sim-a");
  EXPECT_EQ(back.workloads[0].rto_basis.at("capacity"), "measured");
  EXPECT_EQ(back.workloads[0].rto_basis.at("verify"), "measured");
  EXPECT_EQ(back.workloads[0].rto_basis.at("dns"), "measured");
}

TEST_F(DrillTest, AQualityWorkloadWhoseBestTargetIsFullWaitsItsRtoThenTakesTheFallback) {
  Put(WorkloadDoc("q", 1, "quality", 8));
  Run(3);
  adapters_.compute("sim-b").SetCapacity(4);
  Drill drill = RunDrill({"sim-a"});
  ASSERT_EQ(drill.workloads.size(), 1u);
  EXPECT_EQ(drill.workloads[0].target, "sim-c");
  EXPECT_DOUBLE_EQ(drill.workloads[0].waits_s, 30);
  EXPECT_GE(drill.workloads[0].rto_parts.capacity_s, 30);
  EXPECT_GT(*drill.workloads[0].predicted_rto_s, 30);  // its RTO will be missed, and the drill says so now
  ASSERT_TRUE(orchestrator_->StartRecovery("sim-a", {"q"}).ok());
  Run(45);
  EXPECT_EQ(Status("q").placement, "sim-c");
}

TEST_F(DrillTest, NoRoomAnywhereIsUnplacedWithTheReason) {
  Put(WorkloadDoc("big", 1, "fast", 8));
  Run(3);
  adapters_.compute("sim-b").SetCapacity(4);
  adapters_.compute("sim-c").SetCapacity(4);
  Drill drill = RunDrill({"sim-a"});
  ASSERT_EQ(drill.workloads.size(), 1u);
  EXPECT_FALSE(drill.workloads[0].target);
  EXPECT_NE(drill.workloads[0].unplaced_reason.find("no candidate can take 8 instances"), std::string::npos);
  EXPECT_FALSE(drill.workloads[0].predicted_rto_s);
}

TEST_F(DrillTest, TheRpoIsTheReplicasLagAtTheDrillPlusTheDetection) {
  json with_data = WorkloadDoc("d1", 1, "fast", 2);
  with_data["data"] = json::array({{{"name", "assets"}, {"prefix", "d1/"}}});
  Put(with_data);
  json no_replica = WorkloadDoc("d2", 2, "fast", 2);
  no_replica["data"] = json::array({{{"name", "assets"}, {"prefix", "d2/"}}});
  Put(no_replica);
  Run(3);
  ReplicaRecord r;
  r.provider = "sim-b";
  r.verified_at = clock_.Now() - std::chrono::seconds(40);
  ASSERT_TRUE(store_->CompareAndSet(ReplicaWrite("d1", r)).ok());
  Drill drill = RunDrill({"sim-a"});
  ASSERT_EQ(drill.workloads.size(), 2u);
  ASSERT_EQ(drill.workloads[0].target, "sim-b");
  EXPECT_DOUBLE_EQ(*drill.workloads[0].predicted_rpo_s, 43);  // 40 s behind, plus 3 s to detect
  EXPECT_FALSE(drill.workloads[1].predicted_rpo_s);
  EXPECT_NE(drill.workloads[1].rpo_reason.find("no verified replica"), std::string::npos);
}

TEST_F(DrillTest, AnUnknownProviderIsNamedByItsPointerAndNothingIsStored) {
  DrillRequest r;
  r.providers = {"sim-a", "nowhere"};
  auto drill = orchestrator_->RunDrill(r);
  ASSERT_FALSE(drill.ok());
  EXPECT_EQ(drill.status().code(), StatusCode::kNotFound);
  ASSERT_EQ(drill.status().errors().size(), 1u);
  EXPECT_EQ(drill.status().errors()[0].pointer, "/providers/1");
  EXPECT_TRUE(Events("drill").empty());
}

TEST_F(DrillTest, ATenantSeesOnlyItsOwnWorkloadsButTheirsTakeRoomFirst) {
  // Another tenant's priority-1 workload takes sim-b's room before ours.
  const TenantSpace bee = TenantSpace::OfTenant("bee");
  ASSERT_TRUE(catalog_.PutProfile(bee.Scoped("web"), json::parse(*catalog_.GetProfile("web"))).ok());
  auto put = workloads_.Put(bee.Scoped("theirs"), WorkloadDoc("theirs", 1, "fast", 16));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  Put(WorkloadDoc("ours", 2, "fast", 8));
  Run(3);
  DrillRequest r;
  r.providers = {"sim-a"};
  r.scope = Scope(TenantSpace::Default(), false);
  auto drill = orchestrator_->RunDrill(r);
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  ASSERT_EQ(drill->workloads.size(), 1u);
  EXPECT_EQ(drill->workloads[0].workload, "ours");
  EXPECT_EQ(drill->workloads[0].target, "sim-c");
  EXPECT_EQ(DrillToJson(*drill).dump().find("theirs"), std::string::npos);
}

class DrillApiTest : public testing::ApiOn<testing::OrchestrationTest> {
 protected:
  void Place() {
    for (int i = 0; i < 10; ++i) {
      (void)orchestrator_->Reconcile();
      orchestrator_->runner().Tick();
      clock_.Advance(Millis(1000));
    }
  }
};

TEST_F(DrillApiTest, ADrillIsAnsweredKeptAndReadBackAndEveryRefusalNamesItsPointer) {
  ASSERT_EQ(Call("PUT", "/v1/workloads/shop", WorkloadDoc("shop", 1, "fast", 2).dump()).status, 201);
  Place();
  auto drill = Call("POST", "/v1/drills", R"({"providers": ["sim-a"], "at": "2026-12-01T00:05:00Z"})");
  ASSERT_EQ(drill.status, 200) << drill.body;
  const json answer = json::parse(drill.body);
  EXPECT_EQ(answer["at"], "2026-12-01T00:05:00Z");
  ASSERT_EQ(answer["workloads"].size(), 1u);
  const json& shop = answer["workloads"][0];
  EXPECT_EQ(shop["workload"], "shop");
  EXPECT_EQ(shop["from"], "sim-a");
  EXPECT_EQ(shop["target"], "sim-b");
  EXPECT_TRUE(shop["unplaced_reason"].is_null());
  for (const char* part : {"detection_s", "capacity_s", "data_s", "dns_s", "verify_s"}) EXPECT_TRUE(shop["rto_parts"][part].is_number()) << part;
  EXPECT_TRUE(shop["predicted_rto_s"].is_number());
  EXPECT_EQ(shop["predicted_rpo_s"], 0);
  EXPECT_TRUE(shop.contains("monthly_cost_change"));
  std::string location;
  for (const auto& [name, value] : drill.headers)
    if (name == "Location") location = value;
  EXPECT_EQ(location, "/v1/drills/" + answer["id"].get<std::string>());
  auto again = Call("GET", location);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body), answer);

  auto unknown = Call("POST", "/v1/drills", R"({"providers": ["sim-a", "nowhere"]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Pointer(unknown), "/providers/1");
  for (const char* bad : {R"({"providers": []})", R"({"providers": ["sim-a", "sim-a"]})", R"({"providers": ["Sim A"]})", R"({"providers": ["sim-a"], "at": "yesterday"})",
                          R"({"providers": ["sim-a"], "extra": 1})", R"({})", R"([])"}) {
    auto refused = Call("POST", "/v1/drills", bad);
    EXPECT_EQ(refused.status, 400) << bad;
  }
  EXPECT_EQ(Pointer(Call("POST", "/v1/drills", R"({"providers": ["sim-a"], "at": "yesterday"})")), "/at");
  EXPECT_EQ(Call("GET", "/v1/drills/drill-none").status, 404);
  // Only the one drill is kept and recorded.
  AuditFilter f;
  f.kind = "drill";
  EXPECT_EQ(AuditLog(*store_).Query(f)->events.size(), 1u);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// Continuous readiness: standing drills on the leader, a verdict per
// workload with its reasons, an event when a verdict changes, the gauge.
class ReadinessTest : public testing::ScheduledOrchestrationTest {
 protected:
  ReadinessTest() {
    OrchestratorOptions o = Options("broker-1");
    o.readiness_every = Millis(10'000);
    o.readiness = {&unready_};
    StartOrchestrator(o);
  }
  std::map<std::string, WorkloadReadiness> Verdicts() {
    auto r = orchestrator_->readiness().Read();
    EXPECT_TRUE(r.ok() && *r);
    std::map<std::string, WorkloadReadiness> out;
    if (r.ok() && *r)
      for (const auto& w : (*r)->workloads) out[w.workload] = w;
    return out;
  }
  Gauge unready_;
};

TEST_F(ReadinessTest, AWorkloadWhoseTargetFillsUpIsFlaggedBeforeAnyDisasterAndReadyAgainWhenRoomReturns) {
  Put(WorkloadDoc("r1", 1, "fast", 8));
  Put(WorkloadDoc("r2", 2, "fast", 8));
  Put(WorkloadDoc("r3", 1, "fast", 2, "sim-b"));
  Run(12);
  auto v = Verdicts();
  ASSERT_EQ(v.size(), 3u);
  for (const auto& [id, w] : v) EXPECT_TRUE(w.ready) << id << ": " << (w.reasons.empty() ? "" : w.reasons[0]);
  EXPECT_EQ(v["r1"].provider, "sim-a");
  EXPECT_EQ(v["r1"].target, "sim-b");
  EXPECT_EQ(v["r3"].provider, "sim-b");
  EXPECT_EQ(v["r3"].target, "sim-a");
  EXPECT_EQ(unready_.value(), 0);
  EXPECT_TRUE(Events("readiness").empty());
  const auto calls_before = adapters_.compute("sim-b").Calls().size() + adapters_.compute("sim-c").Calls().size();

  // sim-b and sim-c fill up: r2 (priority 2) would have no room.
  adapters_.compute("sim-b").SetCapacity(8 + 2);  // r3's 2 and room for r1's 8
  adapters_.compute("sim-c").SetCapacity(4);
  Run(10);
  v = Verdicts();
  EXPECT_TRUE(v["r1"].ready);
  EXPECT_FALSE(v["r2"].ready);
  ASSERT_FALSE(v["r2"].reasons.empty());
  EXPECT_NE(v["r2"].reasons[0].find("unplaced"), std::string::npos) << v["r2"].reasons[0];
  EXPECT_EQ(unready_.value(), 1);
  auto events = Events("readiness");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].workload, "r2");
  EXPECT_FALSE(events[0].inputs["ready"].get<bool>());
  // Another pass with nothing changed raises nothing more; nothing moved.
  Run(10);
  EXPECT_EQ(Events("readiness").size(), 1u);
  EXPECT_EQ(adapters_.compute("sim-b").Calls().size() + adapters_.compute("sim-c").Calls().size(), calls_before);
  EXPECT_EQ(Status("r2").placement, "sim-a");

  // Room again: ready, and said so once.
  adapters_.compute("sim-c").SetCapacity(100);
  Run(10);
  EXPECT_TRUE(Verdicts()["r2"].ready);
  EXPECT_EQ(unready_.value(), 0);
  events = Events("readiness");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[1].inputs["ready"].get<bool>());
}

TEST_F(ReadinessTest, APredictedRtoOverItsObjectiveIsAReason) {
  json slow = WorkloadDoc("slow", 1, "fast", 2);
  slow["rto_s"] = 4;  // detection alone is 3 s and the TTL 5 s
  Put(slow);
  Run(12);
  auto v = Verdicts();
  ASSERT_FALSE(v["slow"].ready);
  EXPECT_NE(v["slow"].reasons[0].find("over rto_s 4.0 s"), std::string::npos) << v["slow"].reasons[0];
}

TEST_F(ReadinessTest, EveryTenantsWorkloadsAreJudgedNotOnlyTheDefaultTenants) {
  Put(WorkloadDoc("shop", 1, "fast", 2));
  // Stored as the API stores a tenant's (tenant_space.h), each with its
  // own profile.
  for (const char* tenant : {"acme", "globex"})
    ASSERT_TRUE(catalog_.Put(Collection::kProfiles, TenantSpace::OfTenant(tenant).Scoped("web"),
                                    {{"id", "web"}, {"constraints", {{"service_models", {"IaaS"}}}}, {"weights", {{"availability", 5}}}})
                    .ok());
  for (const auto& [id, doc] : {std::pair{TenantSpace::OfTenant("acme").Scoped("store"), WorkloadDoc("store", 1, "fast", 2)},
                                std::pair{TenantSpace::OfTenant("globex").Scoped("ledger"), WorkloadDoc("ledger", 2, "fast", 2, "sim-b")}}) {
    auto put = workloads_.Put(id, doc);
    ASSERT_TRUE(put.ok()) << id << ": " << put.status().ToString();
  }
  Run(12);
  auto v = Verdicts();
  EXPECT_EQ(v.size(), 3u);
  for (const char* id : {"shop", "acme~store", "globex~ledger"}) EXPECT_TRUE(v.count(id) && v[id].ready) << id;
}

class ReadinessApiTest : public testing::ApiOn<testing::OrchestrationTest> {};

TEST_F(ReadinessApiTest, BeforeThePassNoVerdictAfterItTheCallersWorkloads) {
  auto none = Call("GET", "/v1/readiness");
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(json::parse(none.body)["at"].is_null());
  ASSERT_EQ(Call("PUT", "/v1/workloads/shop", WorkloadDoc("shop", 1, "fast", 2).dump()).status, 201);
  for (int i = 0; i < 10; ++i) {
    (void)orchestrator_->Reconcile();
    orchestrator_->runner().Tick();
    clock_.Advance(Millis(1000));
  }
  auto unready = orchestrator_->readiness().Pass();
  ASSERT_TRUE(unready.ok()) << unready.status().ToString();
  const json r = json::parse(Call("GET", "/v1/readiness").body);
  EXPECT_EQ(r["at"], FormatRfc3339(clock_.Now()));
  ASSERT_EQ(r["workloads"].size(), 1u);
  EXPECT_EQ(r["workloads"][0]["workload"], "shop");
  EXPECT_EQ(r["workloads"][0]["provider"], "sim-a");
  EXPECT_EQ(r["workloads"][0]["target"], "sim-b");
  EXPECT_TRUE(r["workloads"][0]["ready"].get<bool>()) << r.dump();
}

}  // namespace
}  // namespace icb
