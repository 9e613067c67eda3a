// The orchestrator on in-memory fakes and a manual clock: three compute
// providers (sim-a ranks best, then sim-b, then sim-c), a DNS zone and
// probes whose answers the test steers.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/fakes/memory_adapters.h"
#include "tests/support/fakes/memory_object_store.h"
#include "tests/support/fakes/object_store_wrapper.h"
#include "broker/auth/key_store.h"
#include "broker/api/api.h"
#include "tests/support/fakes/store_wrapper.h"
#include "broker/core/time.h"
#include "broker/orchestrator/orchestrator.h"
#include "broker/orchestrator/triggers/trigger.h"
#include "broker/ranking/policy.h"
#include "broker/schema/validator.h"
#include "broker/store/replica_set.h"
#include "tests/support/test_docs.h"

namespace icb::testing {

// Forwards to a compute provider the fake owns (the port hands out owners).
// Each deploy and scale is first shown to `before_change` (provider,
// service), which may hold it (a control plane that hangs).
class ComputeRef final : public ComputeProvider {
 public:
  using Hook = std::function<void(const std::string& provider, const std::string& service)>;
  ComputeRef(ComputeProvider& c, std::string provider, const Hook& before_change) : c_(c), provider_(std::move(provider)), before_change_(before_change) {}
  Result<ComputeState> State() override { return c_.State(); }
  Result<Deployment> Deploy(const std::string& s, const std::string& k) override {
    if (before_change_) before_change_(provider_, s);
    return c_.Deploy(s, k);
  }
  Status Scale(const std::string& s, int n, const std::string& k) override {
    if (before_change_) before_change_(provider_, s);
    return c_.Scale(s, n, k);
  }
  Result<std::vector<Deployment>> ProbeTargets() override { return c_.ProbeTargets(); }

 private:
  ComputeProvider& c_;
  std::string provider_;
  const Hook& before_change_;
};

class DnsRef final : public DnsSwitch {
 public:
  explicit DnsRef(DnsSwitch& d, int& replaces) : d_(d), replaces_(replaces) {}
  Result<std::optional<DnsRecordSet>> Get(const std::string& n, const std::string& t) override { return d_.Get(n, t); }
  Status Replace(const DnsRecordSet& r) override {
    ++replaces_;
    return d_.Replace(r);
  }
  Status Delete(const std::string& n, const std::string& t) override { return d_.Delete(n, t); }
  bool AnswersByClientNetwork() const override { return d_.AnswersByClientNetwork(); }

 private:
  DnsSwitch& d_;
  int& replaces_;
};

// Forwards to the fake's one traffic split, counting weight changes.
class SplitRef final : public TrafficSplit {
 public:
  SplitRef(TrafficSplit& s, int& sets) : s_(s), sets_(sets) {}
  Result<std::vector<SplitServer>> Servers() override { return s_.Servers(); }
  Status SetWeights(const std::map<std::string, int>& w) override {
    ++sets_;
    return s_.SetWeights(w);
  }
  Status SetState(const std::string& server, const std::string& state) override { return s_.SetState(server, state); }

 private:
  TrafficSplit& s_;
  int& sets_;
};

class FakeAdapters final : public ProviderAdapters {
 public:
  // Object storage: parts of kPartSize bytes (small, so tests have many).
  static constexpr uint64_t kPartSize = 1024;
  FakeAdapters() : dns_(NewMemoryDnsSwitch("lab.example.")), split_(NewMemoryTrafficSplit({"sim-a", "sim-b", "sim-c"})) {
    for (const auto& [id, addr] : Addresses()) {
      compute_[id] = NewMemoryCompute(100, 20, "http://" + addr + ":8000/");
      objects_[id] = NewMemoryObjectStore(256, kPartSize);
    }
  }
  static std::map<std::string, std::string> Addresses() {
    return {{"sim-a", "127.0.0.11"}, {"sim-b", "127.0.0.12"}, {"sim-c", "127.0.0.13"}};
  }
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& p) override {
    if (unreachable.count(p)) return Unavailable("compute " + p + ": connection refused");
    auto it = compute_.find(p);
    if (it == compute_.end()) return NotFound("provider " + p + " has no compute adapter");
    return std::unique_ptr<ComputeProvider>(std::make_unique<ComputeRef>(*it->second, p, before_compute_change));
  }
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& p) override {
    if (p != "lab-dns") return NotFound("provider " + p + " has no dns adapter");
    return std::unique_ptr<DnsSwitch>(std::make_unique<DnsRef>(*dns_, dns_replaces));
  }
  Result<std::unique_ptr<ObjectStore>> Objects(const std::string& p) override {
    auto it = objects_.find(p);
    if (it == objects_.end()) return NotFound("provider " + p + " has no object_storage adapter");
    if (wrap_objects) return wrap_objects(p, *it->second);
    return std::unique_ptr<ObjectStore>(std::make_unique<ObjectStoreWrapper>(*it->second));
  }
  // lab-lb's split: a server per simulated provider, named after it.
  Result<std::unique_ptr<TrafficSplit>> Split(const std::string& p) override {
    if (p != "lab-lb") return NotFound("provider " + p + " has no traffic_split adapter");
    return std::unique_ptr<TrafficSplit>(std::make_unique<SplitRef>(*split_, split_sets));
  }
  // Server name -> weight.
  std::map<std::string, int> Weights() {
    std::map<std::string, int> out;
    const auto servers = split_->Servers();
    for (const auto& s : *servers) out[s.name] = s.weight;
    return out;
  }
  int split_sets = 0;
  ObjectStore& objects(const std::string& p) { return *objects_.at(p); }
  // Tests put their fault-injecting wrapper around a provider's store.
  std::function<std::unique_ptr<ObjectStore>(const std::string& provider, ObjectStore& store)> wrap_objects;
  MemoryCompute& compute(const std::string& p) { return *compute_.at(p); }
  DnsSwitch& dns() { return *dns_; }
  std::string ARecord(const std::string& name) {
    auto r = dns_->Get(name, "A");
    return r.ok() && *r ? (*r)->contents.at(0) : "";
  }
  // Deploy and scale calls that changed something, per provider.
  int Effects(const std::string& p) {
    int n = 0;
    for (const auto& c : compute_.at(p)->Calls()) n += c.effect;
    return n;
  }
  std::set<std::string> unreachable;
  int dns_replaces = 0;
  // Set before the orchestrator runs (the adapters it hands out refer to it).
  ComputeRef::Hook before_compute_change;

 private:
  std::map<std::string, std::unique_ptr<MemoryCompute>> compute_;
  std::map<std::string, std::unique_ptr<ObjectStore>> objects_;
  std::unique_ptr<DnsSwitch> dns_;
  std::unique_ptr<TrafficSplit> split_;
};

// A broker killed after `writes_left` compare-and-sets: every later call
// (read or write) is refused, as a dead process makes none.
class DyingStore final : public StoreWrapper {
 public:
  DyingStore(Store& base, int writes_left) : StoreWrapper(base), writes_left_(writes_left) {}
  bool dead() const { return writes_left_ < 0; }
  Result<std::vector<long long>> Apply(const WriteBatch& b) override { return Alive() ? StoreWrapper::Apply(b) : Gone(); }
  Result<long long> AppendUnique(const std::vector<AppendGroup>& g, const std::vector<std::pair<std::string, std::string>>& s) override {
    return Alive() ? StoreWrapper::AppendUnique(g, s) : Gone();
  }
  Result<std::vector<std::string>> SetMembers(std::string_view k) override { return Alive() ? StoreWrapper::SetMembers(k) : Gone(); }
  Result<std::optional<Versioned>> GetVersioned(std::string_view k) override { return Alive() ? StoreWrapper::GetVersioned(k) : Gone(); }
  Result<std::vector<long long>> CompareAndSetAll(const std::vector<CasWrite>& w, const std::vector<AppendGroup>& a,
                                                  const Fence* f) override {
    if (!Alive() || --writes_left_ < 0) return Gone();
    return StoreWrapper::CompareAndSetAll(w, a, f);
  }
  Result<std::optional<Lease>> AcquireLease(std::string_view n, std::string_view h, Millis ttl) override {
    return Alive() ? StoreWrapper::AcquireLease(n, h, ttl) : Gone();
  }

 private:
  bool Alive() const { return writes_left_ >= 0; }
  static Status Gone() { return Unavailable("killed"); }
  int writes_left_;
};

// One request through the API's route table (a JSON body when there is one).
inline HttpResponse CallApi(Api& api, const std::string& method, const std::string& target, const std::string& body = "",
                            const std::map<std::string, std::string>& headers = {}) {
  HttpRequest r;
  r.method = method;
  EXPECT_TRUE(ParseRequestTarget(target, r).ok()) << target;
  if (!body.empty()) r.headers["content-type"] = "application/json";
  for (const auto& [k, v] : headers) r.headers[k] = v;
  r.body = body;
  return api.Handle(r);
}

// The first error's JSON pointer in a problem answer.
inline std::string FirstPointer(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body);
  return j["errors"].empty() ? "<none>" : j["errors"][0]["pointer"].get<std::string>();
}

// A test fixture with the API over its orchestrator: `Fixture` gives
// store_, catalog_, policies_, clock_ and Make(store).
template <typename Fixture>
class ApiOn : public Fixture {
 protected:
  ApiOn()
      : qos_(*this->store_, this->catalog_),
        orchestrator_(this->Make(*this->store_)),
        api_(*this->store_, this->catalog_, qos_, this->policies_, this->clock_, {}, orchestrator_.get()) {}
  HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) {
    return CallApi(api_, method, target, body, headers);
  }
  std::string Pointer(const HttpResponse& r) { return FirstPointer(r); }
  QosService qos_;
  std::unique_ptr<Orchestrator> orchestrator_;
  Api api_;
};

// Probes answer ok unless their URL's host is down.
// Probes that answer at once, as the steps' runner and as the detector's
// event loop (the answer handed back before Start returns).
class FakeProbes final : public ProbeRunner, public AsyncProbeRunner {
 public:
  void Start(std::shared_ptr<const ProbeTarget> t, Done done) override { done(Run(*t)); }
  QosSample Run(const ProbeTarget& t) override {
    QosSample s;
    s.provider = t.provider;
    s.endpoint = t.endpoint;
    bool is_down = false;
    for (const auto& host : down)
      if (t.url.find("//" + host + ":") != std::string::npos) is_down = true;
    s.ok = !is_down;
    s.status = is_down ? 503 : 200;
    s.error = is_down ? ProbeError::kStatus : ProbeError::kNone;
    if (!is_down) s.latency_ms = 3;
    for (const auto& [host, ms] : latency_ms)
      if (!is_down && t.url.find("//" + host + ":") != std::string::npos) s.latency_ms = ms;
    // As the lab's simulators: a far vantage sees the service slower.
    if (auto far = vantage_latency_ms.find(t.vantage); !is_down && far != vantage_latency_ms.end()) s.latency_ms = far->second;
    for (const auto& [host, by_vantage_ms] : latency_from)
      if (auto far = by_vantage_ms.find(t.vantage); !is_down && far != by_vantage_ms.end() && t.url.find("//" + host + ":") != std::string::npos)
        s.latency_ms = far->second;
    ++runs;
    ++by_vantage[t.vantage];
    return s;
  }
  std::set<std::string> down;  // hosts
  std::map<std::string, double> latency_ms;  // per host; else 3 ms
  std::map<std::string, double> vantage_latency_ms;  // per vantage the probe names, over latency_ms
  std::map<std::string, std::map<std::string, double>> latency_from;  // per host, per vantage: over both
  std::map<std::string, int> by_vantage;  // probes run, by the vantage they named
  int runs = 0;
};

// The catalog: sim-a > sim-b > sim-c by published availability, lab-dns.
inline void AddLabCatalog(Catalog& catalog) {
  const std::map<std::string, double> availability = {{"sim-a", 99.95}, {"sim-b", 99.9}, {"sim-c", 99.5}};
  for (const auto& [id, addr] : FakeAdapters::Addresses()) {
    nlohmann::json p = ProviderDoc(id);
    p["adapters"] = {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://" + addr + ":8000"}}}}},
                     {"object_storage", {{"adapter", "file"}, {"config", {{"path", "/srv/" + id}}}}}};
    EXPECT_TRUE(catalog.PutProvider(id, p).ok());
    EXPECT_TRUE(catalog.AppendSla(id, SlaDoc("1", "2026-01-01T00:00:00Z", {{"availability_percent", availability.at(id)}})).ok());
  }
  nlohmann::json dns = ProviderDoc("lab-dns", "SaaS");
  dns["adapters"] = {{"dns", {{"adapter", "powerdns"}, {"config", {{"api_url", "http://127.0.0.1:8081"}, {"zone", "lab.example."}}}}}};
  EXPECT_TRUE(catalog.PutProvider("lab-dns", dns).ok());
  EXPECT_TRUE(catalog
                  .PutProfile("web", {{"id", "web"},
                                      {"description", "IaaS, 99% or better"},
                                      {"constraints", {{"service_models", {"IaaS"}}, {"targets", {{"availability_percent", {{"min", 99.0}}}}}}},
                                      {"weights", {{"availability", 5}}}})
                  .ok());
}

// lab-lb: a load balancer with a traffic split (burst offload's).
inline void AddLabBalancer(Catalog& catalog) {
  nlohmann::json lb = ProviderDoc("lab-lb", "SaaS");
  lb["adapters"] = {{"traffic_split", {{"adapter", "haproxy"}, {"config", {{"runtime_socket", "/run/haproxy.sock"}, {"backend", "providers"}}}}}};
  EXPECT_TRUE(catalog.PutProvider("lab-lb", lb).ok());
}

inline nlohmann::json WorkloadDoc(const std::string& id, int priority = 1, const std::string& klass = "fast", int instances = 4,
                                  const std::string& on = "sim-a") {
  return {{"id", id},
          {"name", "Workload " + id},
          {"priority", priority},
          {"recovery_class", klass},
          {"profile_id", "web"},
          {"placement", {{"provider", on}}},
          {"service", id},
          {"instances", instances},
          {"dns", {{"provider", "lab-dns"}, {"name", id + ".lab.example."}, {"ttl", 5}}},
          {"rto_s", 30}};
}

// The one orchestration fixture: a manual clock, a memory store, the lab
// catalog (AddLabCatalog), the built-in policies, the fakes; and what tests
// ask of it. Kind, trigger and API tests derive from it and add how they
// drive time (the runner directly, or the scheduler).
class OrchestrationTest : public ::testing::Test {
 protected:
  OrchestrationTest()
      : clock_(*ParseRfc3339("2026-12-01T00:00:00Z")),
        store_(NewMemoryStore(&clock_)),
        catalog_(*store_, *SchemaSet::LoadEmbedded()),
        workloads_(catalog_, *store_, clock_) {
    RegisterBuiltinPolicies(policies_);
    RegisterBuiltinTriggerPolicies(triggers_);
    AddLabCatalog(catalog_);
  }

  // What the orchestrators Make builds observe as icbroker_detection_to_switch_seconds.
  Histogram detection_to_switch_{LongDurationBuckets()};
  WorkloadKindDeps Deps(Store& store) {
    WorkloadKindDeps deps{store, catalog_, adapters_, probes_, policies_, nullptr, clock_, Millis(1000)};
    deps.detection_to_switch = &detection_to_switch_;
    return deps;
  }
  // An orchestrator on `store` (a DyingStore for kill tests), as broker `broker`.
  std::unique_ptr<Orchestrator> Make(Store& store, const std::string& broker = "broker-1") {
    return std::make_unique<Orchestrator>(Deps(store), Options(broker));
  }
  // What Make builds with (a fixture changes it for all its tests).
  virtual OrchestratorOptions Options(const std::string& broker) { return OrchestratorOptions{broker, Millis(3000), Millis(5000)}; }

  void Put(const nlohmann::json& doc) { ASSERT_TRUE(workloads_.Put(doc["id"].get<std::string>(), doc).ok()); }
  WorkloadStatus Status(const std::string& w) { return GetWorkloadStatus(*store_, w)->value(); }
  Operation Op(const std::string& id) { return OperationStore(*store_).Get(id)->value(); }
  // Every operation of `kind`, in id order.
  std::vector<Operation> Ops(const std::string& kind) {
    OperationStore ops(*store_);
    std::vector<Operation> out;
    const auto page = ops.Page(Scope(TenantSpace::Default(), true), "", 100000);  // named: a loop over a temporary's member would dangle
    for (const auto& id : page->ids) {
      auto op = **ops.Get(id);
      if (op.kind == kind) out.push_back(op);
    }
    return out;
  }
  // The audit trail of one operation, or every event of one kind.
  std::vector<AuditEvent> Trail(const std::string& operation) {
    AuditFilter f;
    f.operation = operation;
    f.limit = 1000;
    return AuditLog(*store_).Query(f)->events;
  }
  std::vector<AuditEvent> Events(const std::string& kind) {
    AuditFilter f;
    f.kind = kind;
    f.limit = 1000;
    return AuditLog(*store_).Query(f)->events;
  }

  ManualClock clock_;
  std::unique_ptr<Store> store_;
  Catalog catalog_;
  WorkloadCatalog workloads_;
  PolicyRegistry policies_;
  TriggerRegistry triggers_;
  FakeAdapters adapters_;
  FakeProbes probes_;
};

// The same, driven through the broker's scheduler on the manual clock (the
// runner, reconciler, controllers and detector as tasks).
class ScheduledOrchestrationTest : public OrchestrationTest {
 protected:
  ScheduledOrchestrationTest() : scheduler_(clock_) {}
  ~ScheduledOrchestrationTest() override {
    if (orchestrator_) orchestrator_->Stop();
  }
  void StartOrchestrator(const OrchestratorOptions& options) {
    orchestrator_ = std::make_unique<Orchestrator>(Deps(*store_), options);
    orchestrator_->Start(scheduler_);
  }
  // Simulated seconds pass, the scheduler running whatever is due.
  void Run(int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      while (scheduler_.RunDue() > 0) {
      }
      clock_.Advance(Millis(100));
    }
  }

  Scheduler scheduler_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

// Brokers r1 and r2 sharing the store, on the manual clock: each with its
// replica set entry and its own scheduler (for its detector, meter, ...);
// the fixture's scheduler runs r1's orchestrator.
class ReplicatedOrchestrationTest : public ScheduledOrchestrationTest {
 protected:
  static constexpr int kBrokers = 2;
  static std::string BrokerId(int i) { return "r" + std::to_string(i + 1); }
  // Each broker's entry (beaten once, as serve does before it starts) and scheduler.
  void AddReplicas() {
    for (int i = 0; i < kBrokers; ++i) {
      replicas_[i] = std::make_unique<ReplicaSet>(*store_, clock_, ReplicaSetOptions{BrokerId(i)});
      EXPECT_TRUE(replicas_[i]->Beat().ok());
      schedulers_[i] = std::make_unique<Scheduler>(clock_);
      alive_[i] = true;
    }
  }
  // Simulated seconds: every live broker beats each 2.5 s and runs its
  // own tasks, then the fixture's scheduler runs.
  void RunAll(int seconds) {
    for (int tick = 0; tick < seconds * 10; ++tick, ++ticks_) {
      for (int i = 0; i < kBrokers; ++i) {
        if (!alive_[i]) continue;
        if (ticks_ % 25 == 0) {
          ASSERT_TRUE(replicas_[i]->Beat().ok());
        }
        while (schedulers_[i]->RunDue() > 0) {
        }
      }
      while (scheduler_.RunDue() > 0) {
      }
      clock_.Advance(Millis(100));
    }
  }
  // A workload id broker `i` owns while both live.
  static std::string OwnedBy(int i, const std::string& prefix) {
    for (int k = 0;; ++k) {
      const std::string id = prefix + std::to_string(k);
      if (ReplicaSet::OwnerOf(id, {BrokerId(0), BrokerId(1)}) == BrokerId(i)) return id;
    }
  }

  std::array<std::unique_ptr<ReplicaSet>, kBrokers> replicas_;
  std::array<std::unique_ptr<Scheduler>, kBrokers> schedulers_;
  std::array<bool, kBrokers> alive_{};
  long long ticks_ = 0;
};

// The API with keys required, on the orchestration fixture: keys made in
// its store, calls made with one, and the orchestrator driven until
// nothing is left to do (the tenant and cross-tenant tests).
class KeyedApiTest : public ApiOn<OrchestrationTest> {
 protected:
  KeyedApiTest() : keys_(*store_, clock_) { api_.RequireKeys(); }
  std::string Key(const std::string& tenant, Role role) {
    auto made = keys_.Create(tenant, role, "");
    EXPECT_TRUE(made.ok());
    return made.ok() ? made->secret : "";
  }
  HttpResponse As(const std::string& key, const std::string& method, const std::string& target, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    headers["authorization"] = "Bearer " + key;
    return Call(method, target, body, headers);
  }
  void Drive() {
    for (int i = 0; i < 60; ++i) {
      (void)orchestrator_->Reconcile();
      orchestrator_->runner().Tick();
      if (orchestrator_->runner().operations().Unfinished()->empty()) return;
      clock_.Advance(Millis(1000));
    }
  }

  KeyStore keys_;
};

}  // namespace icb::testing
