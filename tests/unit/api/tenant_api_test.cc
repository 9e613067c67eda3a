// Tenants on the HTTP API: the same id in two tenants names two things, and
// nothing of one tenant's is seen, named or changed by another, also not
// through a 404's wording, an Idempotency-Key, an event filter or a list.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "broker/orchestrator/state/workload_claims.h"
#include "broker/orchestrator/triggers/detector.h"
#include "tests/support/cross_tenant.h"
#include "tests/support/eventually.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::WorkloadDoc;

class TenantApiTest : public testing::KeyedApiTest {
 protected:
  TenantApiTest() {
    for (const char* tenant : {"acme", "bee"}) {
      operators_[tenant] = Key(tenant, Role::kOperator);
      readers_[tenant] = Key(tenant, Role::kReader);
    }
  }
  // The lab's profile, as a tenant's own.
  void PutProfile(const std::string& tenant, const std::string& id) {
    json p = json::parse(*catalog_.GetProfile("web"));
    p["id"] = id;
    ASSERT_EQ(As(operators_[tenant], "PUT", "/v1/profiles/" + id, p.dump()).status, 201);
  }
  void PutWorkload(const std::string& tenant, const std::string& id, const std::string& name) {
    json w = WorkloadDoc(id);
    w["name"] = name;
    w["service"] = tenant + "-" + id;
    w["dns"]["name"] = tenant + "-" + id + ".lab.example.";
    HttpResponse r = As(operators_[tenant], "PUT", "/v1/workloads/" + id, w.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // A 404 for `id` with the id replaced: what a missing one answers.
  static std::string Shape(const HttpResponse& r, const std::string& id) { return testing::AnswerShape(r.status, r.content_type, r.body, id); }

  std::map<std::string, std::string> operators_, readers_;
};

TEST_F(TenantApiTest, TheSameIdInTwoTenantsNamesTwoThingsEachShownAsItsTenantNamesIt) {
  for (const char* tenant : {"acme", "bee"}) {
    PutProfile(tenant, "web");
    PutWorkload(tenant, "shop", std::string(tenant) + "'s shop");
  }
  Drive();
  for (const char* tenant : {"acme", "bee"}) {
    HttpResponse got = As(readers_[tenant], "GET", "/v1/workloads/shop");
    ASSERT_EQ(got.status, 200) << got.body;
    const json doc = json::parse(got.body);
    EXPECT_EQ(doc["id"], "shop");
    EXPECT_EQ(doc["name"], std::string(tenant) + "'s shop");
    EXPECT_EQ(doc["profile_id"], "web");
    EXPECT_EQ(doc["state"], "running");
    EXPECT_EQ(got.body.find('~'), std::string::npos) << got.body;
    const json list = json::parse(As(readers_[tenant], "GET", "/v1/workloads").body);
    ASSERT_EQ(list["workloads"].size(), 1u);
    EXPECT_EQ(list["workloads"][0]["name"], std::string(tenant) + "'s shop");
    const json ops = json::parse(As(readers_[tenant], "GET", "/v1/operations").body);
    ASSERT_EQ(ops["operations"].size(), 1u) << ops.dump();  // its place
    EXPECT_EQ(ops["operations"][0]["workload"], "shop");
    EXPECT_EQ(ops.dump().find('~'), std::string::npos);
  }
  // Stored apart, each placed by the one orchestrator.
  EXPECT_EQ(Status("acme~shop").state, "running");
  EXPECT_EQ(Status("bee~shop").state, "running");
  EXPECT_EQ(json::parse(*catalog_.Get(Collection::kWorkloads, "acme~shop"))["profile_id"], "acme~web");
}

TEST_F(TenantApiTest, AnotherTenantsObjectAnswersExactlyAsAMissingOne) {
  PutProfile("acme", "a-gold");
  PutProfile("acme", "web");
  PutWorkload("acme", "only-a", "A's");
  Drive();
  HttpResponse started = As(operators_["acme"], "POST", "/v1/workloads/only-a/failover", "", {{"idempotency-key", "k1"}});
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string op = json::parse(started.body)["operation"]["id"];
  EXPECT_EQ(op.find('~'), std::string::npos);

  const std::string bee = operators_["bee"];
  const std::string default_key = Key("default", Role::kOperator);
  struct Probe {
    std::string method, path, body;
  };
  // Each route on one object: A's id answers as one nobody has; A's id as
  // stored ("acme~only-a") answers as any other id of that form.
  for (const auto& [method, path, body] : std::vector<Probe>{{"GET", "/v1/workloads/{}", ""},
                                                             {"DELETE", "/v1/workloads/{}", ""},
                                                             {"POST", "/v1/workloads/{}/failover", ""},
                                                             {"POST", "/v1/workloads/{}/samples", R"({"vantage":"v","samples":[{"ts":"2026-12-01T00:00:00Z","ok":false}]})"},
                                                             {"POST", "/v1/workloads/{}/migrations", R"({"to":"sim-b"})"},
                                                             {"GET", "/v1/profiles/{}", ""},
                                                             {"GET", "/v1/operations/{}", ""},
                                                             {"POST", "/v1/operations/{}/cancel", ""},
                                                             {"POST", "/v1/operations/{}/confirm", ""}}) {
    const bool is_op = path.find("operations") != std::string::npos;
    const bool is_profile = path.find("profiles") != std::string::npos;
    const std::string theirs = is_op ? op : is_profile ? "a-gold" : "only-a";
    auto at = [&](const std::string& id) {
      std::string p = path;
      p.replace(p.find("{}"), 2, id);
      return p;
    };
    for (const std::string& key : {bee, default_key}) {
      const std::string missing = Shape(As(key, method, at("never-made"), body), "never-made");
      EXPECT_NE(missing.substr(0, 1), "2") << method << " " << path << " " << missing;
      EXPECT_EQ(Shape(As(key, method, at(theirs), body), theirs), missing) << method << " " << path;
      const std::string stored_form = Shape(As(key, method, at("acme~never-made"), body), "acme~never-made");
      EXPECT_EQ(stored_form.substr(0, 3), "404") << method << " " << path << " " << stored_form;
      EXPECT_EQ(Shape(As(key, method, at("acme~" + theirs), body), "acme~" + theirs), stored_form) << method << " " << path;
    }
  }
  // Nothing changed: A's workload is there, its failover not cancelled.
  EXPECT_EQ(As(readers_["acme"], "GET", "/v1/workloads/only-a").status, 200);
  EXPECT_FALSE(Op("acme~" + op).cancel_requested);

  // The same Idempotency-Key in B is B's own: no replay of A's operation.
  PutProfile("bee", "web");
  PutWorkload("bee", "only-a", "B's");
  Drive();
  HttpResponse b_started = As(bee, "POST", "/v1/workloads/only-a/failover", "", {{"idempotency-key", "k1"}});
  ASSERT_EQ(b_started.status, 202) << b_started.body;
  EXPECT_EQ(json::parse(b_started.body)["operation"]["id"].get<std::string>().find(op), std::string::npos);
}

TEST_F(TenantApiTest, ListsFiltersAndTheTrailShowOnlyTheCallersOwn) {
  PutProfile("acme", "web");
  PutWorkload("acme", "a1", "A1");
  PutWorkload("acme", "a2", "A2");
  PutProfile("bee", "web");
  PutWorkload("bee", "b1", "B1");
  Drive();
  ASSERT_EQ(As(operators_["acme"], "POST", "/v1/workloads/a1/failover").status, 202);
  Drive();
  std::vector<std::string> a_ops;
  const json a_listed = json::parse(As(readers_["acme"], "GET", "/v1/operations").body);  // named: a loop over a temporary's member would dangle
  for (const auto& o : a_listed["operations"]) a_ops.push_back(o["id"]);
  ASSERT_EQ(a_ops.size(), 3u);  // two places, one failover

  const std::string bee = readers_["bee"];
  std::vector<std::string> answers;
  for (const std::string& target : std::vector<std::string>{"/v1/workloads", "/v1/workloads?limit=1", "/v1/profiles", "/v1/operations", "/v1/operations?kind=failover", "/v1/operations?workload=a1",
        "/v1/events", "/v1/events?workload=a1", "/v1/events?operation=" + a_ops[2], "/v1/events?kind=decision", "/v1/events?provider=sim-a",
        "/v1/events?workload=acme~a1"}) {
    HttpResponse r = As(bee, "GET", target);
    ASSERT_EQ(r.status, 200) << target << " " << r.body;
    answers.push_back(r.body);
    for (const std::string& id : a_ops) EXPECT_EQ(r.body.find(id), std::string::npos) << target;
    // A's workload by id (quoted: ids' random parts may hold "a1") and name.
    EXPECT_EQ(r.body.find("\"a1\""), std::string::npos) << target;
    EXPECT_EQ(r.body.find("A1"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("acme"), std::string::npos) << target;
  }
  // B sees its own: one workload, one profile, its place and that one's events.
  EXPECT_EQ(json::parse(answers[0])["workloads"].size(), 1u);
  EXPECT_EQ(json::parse(answers[2])["profiles"].size(), 1u);
  EXPECT_EQ(json::parse(answers[3])["operations"].size(), 1u);
  EXPECT_EQ(json::parse(answers[4])["operations"].size(), 0u);
  EXPECT_EQ(json::parse(answers[5])["operations"].size(), 0u);
  const json b_events = json::parse(answers[6])["events"];
  EXPECT_FALSE(b_events.empty());
  for (const auto& e : b_events) EXPECT_EQ(e["workload"], "b1") << e.dump();
  for (size_t i : {7u, 8u, 11u}) EXPECT_TRUE(json::parse(answers[i])["events"].empty()) << answers[i];
  // A pages through its own, the cursor in its own terms.
  const json first = json::parse(As(readers_["acme"], "GET", "/v1/operations?limit=2").body);
  ASSERT_EQ(first["operations"].size(), 2u);
  const std::string cursor = first["next"];
  EXPECT_EQ(cursor.find('~'), std::string::npos);
  const json second = json::parse(As(readers_["acme"], "GET", "/v1/operations?limit=2&after=" + cursor).body);
  ASSERT_EQ(second["operations"].size(), 1u);
  EXPECT_TRUE(second["next"].is_null());
}

TEST_F(TenantApiTest, TheNamesAWorkloadActsOnAtProvidersAreTheFirstTenantsAlone) {
  PutProfile("acme", "web");
  PutProfile("bee", "web");
  json a = WorkloadDoc("shop");
  a["data"] = json::array({{{"name", "orders"}, {"prefix", "shop/orders/"}}});
  ASSERT_EQ(As(operators_["acme"], "PUT", "/v1/workloads/shop", a.dump()).status, 201);
  // Each name A's workload acts on, declared by B: refused at its pointer,
  // and B holds none of the names it asked for alongside.
  struct Taken {
    std::string field, pointer;
    json value;
  };
  for (const auto& [field, pointer, value] : std::vector<Taken>{{"service", "/service", "shop"},
                                                                {"dns", "/dns/name", {{"provider", "lab-dns"}, {"name", "shop.lab.example"}}},
                                                                {"data", "/data/0/prefix", json::array({{{"name", "d"}, {"prefix", "shop/"}}})},
                                                                {"data", "/data/0/prefix", json::array({{{"name", "d"}, {"prefix", "shop/orders/2026/"}}})}}) {
    json b = WorkloadDoc("b-shop");
    b["service"] = "b-shop";
    b["dns"]["name"] = "b-shop.lab.example.";
    b[field] = value;
    HttpResponse r = As(operators_["bee"], "PUT", "/v1/workloads/b-shop", b.dump());
    ASSERT_EQ(r.status, 409) << field << " " << r.body;
    EXPECT_EQ(Pointer(r), pointer) << r.body;
    EXPECT_EQ(As(operators_["bee"], "GET", "/v1/workloads/b-shop").status, 404);
  }
  auto held = store_->HashGetAll(kClaimsKey);
  ASSERT_TRUE(held.ok());
  for (const auto& [name, holder] : *held) EXPECT_NE(name.find("shop"), std::string::npos) << name;  // A's only: B's given back
  // B's own names are B's; A may declare a second workload on its own.
  json b = WorkloadDoc("b-shop");
  b["service"] = "b-shop";
  b["dns"]["name"] = "b-shop.lab.example.";
  b["data"] = json::array({{{"name", "d"}, {"prefix", "bee/"}}});
  EXPECT_EQ(As(operators_["bee"], "PUT", "/v1/workloads/b-shop", b.dump()).status, 201);
  json a2 = a;
  a2["id"] = "shop-2";
  EXPECT_EQ(As(operators_["acme"], "PUT", "/v1/workloads/shop-2", a2.dump()).status, 201);
  b["service"] = "shop";
  EXPECT_EQ(As(operators_["bee"], "PUT", "/v1/workloads/b-shop", b.dump()).status, 409);
}

TEST_F(TenantApiTest, ACancelIsRecordedWithTheKeyThatAskedBesideTheOneThatStarted) {
  PutProfile("acme", "web");
  PutWorkload("acme", "shop", "A's");
  Drive();
  HttpResponse started = As(operators_["acme"], "POST", "/v1/workloads/shop/failover");
  ASSERT_EQ(started.status, 202);
  const std::string op = json::parse(started.body)["operation"]["id"];
  const std::string other = Key("acme", Role::kOperator);
  ASSERT_EQ(As(other, "POST", "/v1/operations/" + op + "/cancel").status, 202);
  ASSERT_EQ(As(other, "POST", "/v1/operations/" + op + "/cancel").status, 202);  // again: asked already, not recorded twice
  Drive();
  const json trail = json::parse(As(readers_["acme"], "GET", "/v1/events?operation=" + op).body);
  const std::string starter = "key:" + operators_["acme"].substr(4, 12), canceller = "key:" + other.substr(4, 12);
  int asked = 0;
  for (const auto& e : trail["events"]) {
    if (e["kind"] == "cancel_requested") {
      ++asked;
      EXPECT_EQ(e["actor"], canceller);
      EXPECT_EQ(e["workload"], "shop");
    } else {
      EXPECT_EQ(e["actor"], starter) << e.dump();
    }
  }
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(json::parse(As(readers_["acme"], "GET", "/v1/operations/" + op).body)["state"], "cancelled");
}

TEST_F(TenantApiTest, ATenantAtItsOperationLimitIsRefusedWhileAnotherStartsItsOwn) {
  OrchestratorOptions options = Options("broker-1");
  options.operations_per_tenant = 1;
  auto limited_orchestrator = std::make_unique<Orchestrator>(Deps(*store_), options);
  Api limited(*store_, catalog_, qos_, policies_, clock_, {}, limited_orchestrator.get());
  limited.RequireKeys();
  auto call = [&](const std::string& tenant, const std::string& target, const std::string& body = "") {
    return testing::CallApi(limited, "POST", target, body, {{"authorization", "Bearer " + operators_[tenant]}});
  };
  PutProfile("acme", "web");
  PutProfile("bee", "web");
  PutWorkload("acme", "a1", "A1");
  PutWorkload("acme", "a2", "A2");
  PutWorkload("bee", "b1", "B1");
  Drive();
  ASSERT_EQ(call("acme", "/v1/workloads/a1/failover").status, 202);
  HttpResponse refused = call("acme", "/v1/workloads/a2/failover");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["type"], "urn:icbroker:problem:rate-limited");
  bool retry_after = false;
  for (const auto& [name, value] : refused.headers) retry_after = retry_after || (name == "Retry-After" && value == "5");
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(call("acme", "/v1/workloads/a2/migrations", R"({"to":"sim-b"})").status, 429);  // a move counts the same
  EXPECT_EQ(call("bee", "/v1/workloads/b1/failover").status, 202);     // another tenant: its own room
  EXPECT_EQ(OperationStore(*store_).OfWorkload("acme~a2")->size(), 1u);  // its place only: the refusal started nothing
  Drive();
  EXPECT_EQ(call("acme", "/v1/workloads/a2/failover").status, 202);  // the first has ended
}

TEST_F(TenantApiTest, ARankByStoredProfileUsesTheCallersAndIsNotRememberedForAnother) {
  PutProfile("acme", "gold");
  const std::string rank = R"({"profile_id":"gold","top_k":1})";
  EXPECT_EQ(As(readers_["acme"], "POST", "/v1/rank", rank).status, 200);
  HttpResponse other = As(readers_["bee"], "POST", "/v1/rank", rank);
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(As(readers_["bee"], "POST", "/v1/compare", R"({"profile_id":"gold"})").status, 404);
}

TEST_F(TenantApiTest, ABrokerWideRecoveryIsTheBrokersOwnSeenByAdminsAndItsChildrenByEachTenant) {
  for (const char* tenant : {"acme", "bee"}) {
    PutProfile(tenant, "web");
    PutWorkload(tenant, "w1", "one");
  }
  Drive();
  auto busy = orchestrator_->StartRecovery("sim-a", {"acme~w1", "bee~w1"});
  ASSERT_TRUE(busy.ok());
  Drive();
  const auto recoveries = Ops("recovery");
  ASSERT_EQ(recoveries.size(), 1u);
  const std::string recovery = recoveries[0].id;
  EXPECT_EQ(recovery[0], '~');
  for (const char* tenant : {"acme", "bee"}) {
    // Not the tenant's: answered as missing, never listed.
    EXPECT_EQ(As(readers_[tenant], "GET", "/v1/operations/" + recovery).status, 404);
    const json ops = json::parse(As(readers_[tenant], "GET", "/v1/operations?kind=recovery").body);
    EXPECT_TRUE(ops["operations"].empty());
    // Its own child failover is.
    const json failovers = json::parse(As(readers_[tenant], "GET", "/v1/operations?kind=failover").body);
    ASSERT_EQ(failovers["operations"].size(), 1u) << failovers.dump();
    EXPECT_EQ(failovers["operations"][0]["workload"], "w1");
  }
  const std::string admin = Key("acme", Role::kAdmin);
  HttpResponse seen = As(admin, "GET", "/v1/operations/" + recovery);
  ASSERT_EQ(seen.status, 200) << seen.body;
  const json listed = json::parse(As(admin, "GET", "/v1/operations?kind=recovery").body);
  ASSERT_EQ(listed["operations"].size(), 1u);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// A tenant at its limits, its requests hanging at a provider's control
// plane, while another tenant's provider goes down: operations run side by
// side on a few workers, detection on the scheduler, all on simulated time.
class TenantOutageTest : public testing::ScheduledOrchestrationTest {
 protected:
  static constexpr int kWorkers = 4;
  static constexpr int kOperationsPerTenant = 6;

  TenantOutageTest() : keys_(*store_, clock_), qos_(*store_, catalog_) {
    // acme's deploys at sim-a hang until the test lets them go.
    adapters_.before_compute_change = [this](const std::string& provider, const std::string& service) {
      if (provider != "sim-a" || service.rfind("acme-", 0) != 0) return;
      std::unique_lock lock(mu_);
      ++hanging_;
      released_.wait_for(lock, std::chrono::seconds(60), [this] { return released_all_; });  // bounded: a failing test ends
      --hanging_;
    };
    OrchestratorOptions options = Options("broker-1");
    options.operation_workers = kWorkers;
    options.operations_per_tenant = kOperationsPerTenant;
    StartOrchestrator(options);
    detector_ = std::make_unique<Detector>(scheduler_, clock_, probes_, orchestrator_->workloads(), *triggers_.Find("consecutive_failures"), *orchestrator_,
                                           DetectorOptions{});
    detector_->Start();
    api_ = std::make_unique<Api>(*store_, catalog_, qos_, policies_, clock_, ApiLimits{}, orchestrator_.get());
    api_->RequireKeys();
    json profile = json::parse(*catalog_.GetProfile("web"));
    for (const char* tenant : {"acme", "bee"}) {
      operators_[tenant] = keys_.Create(tenant, Role::kOperator, "")->secret;
      EXPECT_EQ(As(tenant, "PUT", "/v1/profiles/web", profile.dump()).status, 201);
    }
  }
  ~TenantOutageTest() override {
    ReleaseAll();
    detector_->Stop();
  }
  void ReleaseAll() {
    std::lock_guard lock(mu_);
    released_all_ = true;
    released_.notify_all();
  }
  int Hanging() {
    std::lock_guard lock(mu_);
    return hanging_;
  }
  HttpResponse As(const std::string& tenant, const std::string& method, const std::string& target, const std::string& body = "") {
    return testing::CallApi(*api_, method, target, body, {{"authorization", "Bearer " + operators_[tenant]}});
  }
  // A tenant's workload on `on`, its service and DNS name its own.
  void PutWorkload(const std::string& tenant, const std::string& id, const std::string& on) {
    json w = WorkloadDoc(id, 1, "fast", 2, on);
    w["service"] = tenant + "-" + id;
    w["dns"]["name"] = tenant + "-" + id + ".lab.example.";
    HttpResponse r = As(tenant, "PUT", "/v1/workloads/" + id, w.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  // A tenth of a simulated second: what is due runs, then the workers end
  // what they can (everything but the hanging calls) before time moves on,
  // so that simulated time measures what a queue costs and never races.
  void Step() {
    while (scheduler_.RunDue() > 0) {
    }
    (void)testing::Eventually([&] { return orchestrator_->runner().InFlight() <= static_cast<size_t>(Hanging()); }, std::chrono::seconds(5),
                              std::chrono::milliseconds(1));
    clock_.Advance(Millis(100));
  }
  // The workload's failover (each here has one at most).
  std::optional<Operation> FailoverOf(const std::string& workload) {
    OperationStore ops(*store_);
    const auto ids = ops.OfWorkload(workload);  // named: a loop over a temporary's member would dangle
    for (const auto& id : *ids) {
      auto op = **ops.Get(id);
      if (op.kind == "failover") return op;
    }
    return std::nullopt;
  }

  std::unique_ptr<Detector> detector_;
  KeyStore keys_;
  QosService qos_;
  std::unique_ptr<Api> api_;
  std::map<std::string, std::string> operators_;
  std::mutex mu_;
  std::condition_variable released_;
  int hanging_ = 0;
  bool released_all_ = false;
};

TEST_F(TenantOutageTest, ATenantAtItsLimitsDoesNotDelayAnothersFailover) {
  for (int i = 1; i <= kOperationsPerTenant + 1; ++i) PutWorkload("acme", "a" + std::to_string(i), "sim-c");
  PutWorkload("bee", "b1", "sim-a");
  for (int i = 0; i < 30; ++i) Step();
  ASSERT_EQ(Status("bee~b1").placement, "sim-a");
  ASSERT_FALSE(Status("bee~b1").url.empty());
  // acme asks for failovers of all its workloads, each to sim-a (the best
  // ranked), where its deploys hang: it reaches its limit, the next is 429.
  for (int i = 1; i <= kOperationsPerTenant; ++i) {
    HttpResponse r = As("acme", "POST", "/v1/workloads/a" + std::to_string(i) + "/failover");
    ASSERT_EQ(r.status, 202) << r.body;
  }
  EXPECT_EQ(As("acme", "POST", "/v1/workloads/a7/failover").status, 429);
  for (int i = 0; i < 10; ++i) Step();
  ASSERT_GE(Hanging(), 1);
  // Its share of the workers (a quarter kept for outages, half the rest).
  EXPECT_LE(Hanging(), (kWorkers - kWorkers / 4) / 2);

  // bee's provider goes down. Its failover is detected after three failed
  // probes a second apart and runs at once, as with nothing else going on
  // (2.7 s here). With acme's requests on every worker it queued behind
  // them and took 8 s, and would take as long as acme's calls hang.
  probes_.down.insert("127.0.0.11");
  const TimePoint outage = clock_.Now();
  std::optional<TimePoint> recovered;
  for (int i = 0; i < 300 && !recovered; ++i) {
    Step();
    auto op = FailoverOf("bee~b1");
    if (op && op->state == OperationState::kSucceeded) recovered = clock_.Now();
  }
  ASSERT_TRUE(recovered) << "bee's failover did not end within 30 simulated seconds";
  const double seconds = std::chrono::duration<double>(*recovered - outage).count();
  std::printf("bee's failover succeeded %.1f s (simulated) after its outage, acme holding %d hanging calls\n", seconds, Hanging());
  EXPECT_LE(seconds, 4.0);
  EXPECT_EQ(FailoverOf("bee~b1")->request["trigger"], "automatic");
  EXPECT_EQ(Status("bee~b1").placement, "sim-b");
  // acme's were held all along, none failed by it; they finish once let go.
  for (int i = 1; i <= kOperationsPerTenant; ++i) EXPECT_FALSE(Finished(FailoverOf("acme~a" + std::to_string(i))->state)) << i;
  ReleaseAll();
  probes_.down.clear();
  for (int i = 0; i < 600; ++i) {
    Step();
    bool all = true;
    for (int n = 1; n <= kOperationsPerTenant; ++n) all = all && Finished(FailoverOf("acme~a" + std::to_string(n))->state);
    if (all) break;
  }
  for (int i = 1; i <= kOperationsPerTenant; ++i) EXPECT_EQ(FailoverOf("acme~a" + std::to_string(i))->state, OperationState::kSucceeded) << i;
}

}  // namespace
}  // namespace icb
