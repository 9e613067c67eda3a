#include "broker/app/broker_app.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "broker/auth/credential_store.h"
#include "broker/auth/secret_box.h"
#include "broker/catalog/credential_admin.h"
#include "broker/catalog/loader.h"
#include "broker/ports/credentials.h"
#include "broker/core/scheduler.h"
#include "broker/orchestrator/triggers/detector.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/orchestrator/orchestrator.h"
#include "broker/orchestrator/providers/call_gate.h"
#include "broker/orchestrator/providers/provider_adapters.h"
#include "broker/qos/asio_probe_runner.h"
#include "broker/qos/endpoint_prober.h"
#include "broker/qos/probe_metrics.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/replica_set.h"

#include <unistd.h>

namespace icb {

namespace {

// Another replica's catalog writes show within 100 ms; ours at once. A rank
// request then costs no store round trip.
constexpr Millis kCatalogRefresh{100};
// The scheduler's pool: probes block on the network for up to their timeout,
// so a few run side by side; everything periodic shares these.
constexpr int kSchedulerThreads = 4;

int HttpThreads(const BrokerOptions& o) {
  if (o.http_threads > 0) return o.http_threads;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

// Declared in construction order; destroyed in reverse.
struct BrokerApp::Parts {
  // First: every part below may hold its families, and it reads some of
  // them when scraped.
  MetricRegistry metrics;
  Logger log;  // the operations' and the requests' lines with their fields
  std::optional<Credentials> credentials;
  std::shared_ptr<const SchemaSet> schemas;
  std::unique_ptr<AdapterRegistry> adapters;
  std::unique_ptr<EmbeddedRedis> embedded;
  std::unique_ptr<Store> store;
  SystemClock clock;
  std::optional<SecretKeyRing> key_ring;
  std::unique_ptr<CredentialStore> credential_store;  // with a key ring
  std::unique_ptr<BrokerCredentials> credentials_in_use;  // the file's, then the store's
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<CredentialAdmin> credential_admin;
  PolicyRegistry policies;
  std::unique_ptr<QosService> qos;
  std::unique_ptr<Scheduler> scheduler;        // what runs on it is declared below: gone first
  std::unique_ptr<NetworkPolicy> network;      // where the broker may connect for what documents name
  std::unique_ptr<HttpClient> adapter_connections, verify_connections;  // under the guarded clients below
  std::unique_ptr<HttpClient> adapter_client;  // the adapters' calls to providers
  std::unique_ptr<CatalogProviderAdapters> provider_adapters;
  std::unique_ptr<CallGates> call_gates;                  // each provider's calls in flight
  std::unique_ptr<GatedProviderAdapters> gated_adapters;  // what the orchestrator acts through
  std::unique_ptr<HttpClient> verify_client;   // verify steps' probes of a new placement
  std::unique_ptr<NetworkProbeRunner> verify_probes;
  // The detector's and the endpoint prober's probes, on one event loop.
  std::unique_ptr<AsyncProbeRunner> probe_loop;
  TriggerRegistry triggers;  // the orchestrator's burst controller and the detector use its policies
  std::unique_ptr<Orchestrator> orchestrator;
  // The brokers on this store probing as this vantage, each taking a share
  // of the workloads and endpoints.
  std::unique_ptr<ReplicaSet> replicas;
  std::unique_ptr<Detector> detector;
  std::unique_ptr<AudienceMeter> audiences;  // what each audience sees from its vantage
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<EndpointProber> prober;
  bool stopped = false;
};

Status BrokerApp::OpenStoreAndCatalog(Parts& p, const BrokerOptions& o, const Log& log) {
  if (o.credentials_file) {
    ICB_ASSIGN_OR_RETURN(Credentials loaded, Credentials::LoadFile(*o.credentials_file));
    p.credentials = std::move(loaded);
    log("credentials: " + std::to_string(p.credentials->Values().size()) + " secret fields from " + *o.credentials_file);
  }
  if (o.secrets_key_file) {
    ICB_ASSIGN_OR_RETURN(SecretKeyRing ring, SecretKeyRing::LoadFile(*o.secrets_key_file));
    p.key_ring = std::move(ring);
  }
  ICB_ASSIGN_OR_RETURN(p.schemas, SchemaSet::LoadEmbedded());
  p.adapters = std::make_unique<AdapterRegistry>(*p.schemas);
  RegisterBuiltinAdapters(*p.adapters);
  RedisStoreOptions store_options;
  // A connection for each thread that may talk to Redis at once: the HTTP
  // threads, the operation workers, the scheduler's and the data mover's.
  store_options.pool_size = HttpThreads(o) + o.operation_workers + kSchedulerThreads + 4;
  ICB_RETURN_IF_ERROR(AddProcessMetrics(p.metrics));
  ICB_ASSIGN_OR_RETURN(auto round_trips, p.metrics.AddCounter("icbroker_redis_round_trips_total", "Round trips to Redis (a command, or a pipeline of them)."));
  ICB_ASSIGN_OR_RETURN(auto redis_errors, p.metrics.AddCounter("icbroker_redis_errors_total",
                                                               "Round trips to Redis that failed: no connection, no answer in time, or an error reply."));
  store_options.round_trips = &round_trips->With({});
  store_options.errors = &redis_errors->With({});
  if (o.redis) {
    store_options.address = *o.redis;
    store_options.replica_acks = o.redis_replica_acks.value_or(DefaultReplicaAcks(*o.redis));
  } else {
    EmbeddedRedisOptions ro;
    ro.data_dir = o.data_dir;
    ro.appendfsync = o.appendfsync;
    ICB_ASSIGN_OR_RETURN(p.embedded, EmbeddedRedis::Start(ro, log));
    store_options.address = p.embedded->address();
    log("redis-server pid " + std::to_string(p.embedded->pid()) + " at " + p.embedded->address().ToString() + " (appendfsync " +
        ro.appendfsync + ")");
  }
  p.store = NewRedisStore(store_options);
  ICB_RETURN_IF_ERROR(p.store->Ping());
  ICB_RETURN_IF_ERROR(OpenCredentials(p, log));
  // A trail kept before the indexed log moves into it once.
  ICB_ASSIGN_OR_RETURN(size_t moved, AuditLog(*p.store).MoveLegacyTrail());
  if (moved > 0) log("audit trail: " + std::to_string(moved) + " events moved into the indexed log");

  CatalogOptions catalog_options{&p.clock, kCatalogRefresh, {}};
  // Adapter references are checked when a provider is stored, not first
  // when a failover needs them.
  Parts* parts = &p;
  catalog_options.check_provider = [parts](const nlohmann::json& doc) {
    return CheckAdapterRefs(*parts->adapters, *parts->schemas, parts->credentials_in_use.get(), doc);
  };
  p.catalog = std::make_unique<Catalog>(*p.store, p.schemas, catalog_options);
  p.credential_admin = std::make_unique<CredentialAdmin>(*p.catalog, *p.adapters, *p.schemas, *p.credentials_in_use);
  ICB_RETURN_IF_ERROR(p.catalog->IndexStored());
  ICB_RETURN_IF_ERROR(OperationStore(*p.store).IndexStored());
  RegisterBuiltinPolicies(p.policies);
  if (o.demo) {
    auto report = LoadCatalogFiles(*p.catalog, DemoCatalogFiles(), LoadMode::kKeepExisting);
    if (!report.ok()) return Status(report.status().code(), "demo catalog: " + report.status().message(), report.status().errors());
    log("demo catalog: " + std::to_string(report->providers) + " providers, " + std::to_string(report->slas) + " SLA versions, " +
        std::to_string(report->profiles) + " profiles added, " + std::to_string(report->skipped) + " already present");
  }
  if (o.catalog_dir) {
    ICB_ASSIGN_OR_RETURN(auto files, ReadCatalogDir(*o.catalog_dir));
    auto report = LoadCatalogFiles(*p.catalog, files, LoadMode::kKeepExisting);
    if (!report.ok()) return Status(report.status().code(), "catalog " + *o.catalog_dir + ": " + report.status().message(), report.status().errors());
    log("catalog " + *o.catalog_dir + ": " + std::to_string(report->providers) + " providers, " + std::to_string(report->slas) +
        " SLA versions, " + std::to_string(report->profiles) + " profiles added, " + std::to_string(report->skipped) + " already present");
  }
  return Status::Ok();
}

Status BrokerApp::OpenCredentials(Parts& p, const Log& log) {
  if (p.key_ring) {
    p.credential_store = std::make_unique<CredentialStore>(*p.store, *p.key_ring, p.clock);
    // A rotation's second step: what an older key sealed moves to the first.
    ICB_ASSIGN_OR_RETURN(CredentialStore::ResealReport resealed, p.credential_store->Reseal());
    ICB_ASSIGN_OR_RETURN(std::vector<CredentialInfo> kept, p.credential_store->List());
    log("credentials kept sealed: " + std::to_string(kept.size()) + " (" + std::to_string(resealed.resealed) + " resealed with key " +
        p.key_ring->current_id() + ")");
    for (const auto& why : resealed.unopened) log("credentials that do not open, adapters naming them fail until put again: " + why);
    if (p.credentials)
      for (const auto& info : kept)
        if (p.credentials->Has(info.name)) log("credentials \"" + info.name + "\" are in the --credentials file too: the file's are used");
  } else {
    ICB_ASSIGN_OR_RETURN(std::vector<std::string> kept, p.store->HashKeys(kCredentialsKey));
    if (!kept.empty())
      log("credentials kept sealed: " + std::to_string(kept.size()) + ", and no --secrets-key to open them: adapters naming them fail");
  }
  p.credentials_in_use = std::make_unique<BrokerCredentials>(p.credentials ? &*p.credentials : nullptr, p.credential_store.get());
  return Status::Ok();
}

Status BrokerApp::BuildOrchestration(Parts& p, const BrokerOptions& o, const Log& log) {
  if (o.samples_raw_days < 3 || o.samples_rollup_days < o.samples_raw_days)
    return InvalidArgument("samples are kept raw at least 3 days, and rolled up at least as long as raw");
  p.qos = std::make_unique<QosService>(
      *p.store, *p.catalog,
      SampleKeeping{p.clock, {std::chrono::hours(24) * o.samples_raw_days, std::chrono::hours(24) * o.samples_rollup_days}});
  ICB_ASSIGN_OR_RETURN(auto ingested, p.metrics.AddCounter("icbroker_samples_ingested_total", "QoS samples stored, pushed or probed (duplicates not)."));
  p.qos->CountIngested(&ingested->With({}));
  // The orchestrator acts through the providers' adapters, built from the
  // catalog with the named credentials joined.
  p.network = std::make_unique<NetworkPolicy>(o.allow_networks, o.deny_networks);
  auto listed = [](const std::vector<IpNetwork>& networks) {
    std::string out;
    for (const auto& n : networks) out += (out.empty() ? "" : ",") + n.ToString();
    return out.empty() ? std::string("none") : out;
  };
  log("connecting for providers and workloads: loopback and private networks allowed " + listed(o.allow_networks) + ", denied " +
      listed(o.deny_networks) + " (metadata, link-local and multicast never)");
  p.adapter_connections = NewCpprestHttpClient();
  p.adapter_client = NewGuardedHttpClient(*p.adapter_connections, *p.network, SystemResolver());
  p.provider_adapters = std::make_unique<CatalogProviderAdapters>(*p.catalog, *p.adapters, p.credentials_in_use.get(),
                                                                   AdapterContext{*p.adapter_client, p.clock, RealSleeper(), &o.file_roots});
  p.call_gates = std::make_unique<CallGates>(o.provider_calls);
  p.gated_adapters = std::make_unique<GatedProviderAdapters>(
      *p.provider_adapters, *p.call_gates,
      [adapters = p.provider_adapters.get()](const std::string& provider, const char* capability) { return adapters->CallLimit(provider, capability); });
  p.verify_connections = NewCpprestHttpClient();
  p.verify_client = NewGuardedHttpClient(*p.verify_connections, *p.network, SystemResolver());
  p.verify_probes = std::make_unique<NetworkProbeRunner>(*p.verify_client, p.network.get());
  OrchestratorOptions orchestration{o.broker_id, o.lease_ttl, Millis(5'000)};
  orchestration.operation_workers = o.operation_workers;
  orchestration.operations_per_tenant = o.operations_per_tenant;
  orchestration.provider_calls = o.provider_calls;
  orchestration.provider_call_limit = [adapters = p.provider_adapters.get()](const std::string& provider, const char* capability) {
    return adapters->CallLimit(provider, capability);
  };
  ICB_ASSIGN_OR_RETURN(orchestration.runner_metrics, DeclareRunnerMetrics(p.metrics));
  orchestration.log = &p.log;
  ICB_ASSIGN_OR_RETURN(auto lag_ratio, p.metrics.AddGauge("icbroker_replica_lag_rpo_ratio",
                                                          "The largest replica lag over its workload's rpo_s among replicated workloads (above 1: "
                                                          "the RPO is not met), as of the leader's last replication pass; 0 elsewhere."));
  ICB_ASSIGN_OR_RETURN(auto over_rpo, p.metrics.AddGauge("icbroker_replicas_over_rpo",
                                                         "Replicated workloads whose replica lags more than their rpo_s, as of the leader's last pass."));
  orchestration.replica_lag = {&lag_ratio->With({}), &over_rpo->With({})};
  ICB_ASSIGN_OR_RETURN(auto unready, p.metrics.AddGauge("icbroker_readiness_unready_workloads",
                                                        "Workloads the leader's last standing drills found not ready: unplaced, or predicted over their "
                                                        "rto_s or rpo_s, for a disaster of where they run (GET /v1/readiness); 0 elsewhere."));
  orchestration.readiness = {&unready->With({})};
  orchestration.readiness_every = Millis(1000LL * o.readiness_interval_s);
  if (orchestration.broker_id.empty()) {
    char host[256] = "localhost";
    (void)gethostname(host, sizeof host - 1);
    orchestration.broker_id = std::string(host) + ":" + (o.port ? std::to_string(o.port) : "pid" + std::to_string(getpid()));
  }
  RegisterBuiltinTriggerPolicies(p.triggers);
  orchestration.load_policy = p.triggers.FindLoad("load");
  log("orchestrating as \"" + orchestration.broker_id + "\"");
  WorkloadKindDeps kind_deps{*p.store, *p.catalog, *p.gated_adapters, *p.verify_probes, p.policies, p.qos.get(), p.clock, Millis(1000)};
  ICB_ASSIGN_OR_RETURN(auto detection_to_switch,
                       p.metrics.AddHistogram("icbroker_detection_to_switch_seconds",
                                              "Automatic failovers: from their outage's first detection to the workload's DNS record switched.",
                                              LongDurationBuckets()));
  kind_deps.detection_to_switch = &detection_to_switch->With({});
  p.orchestrator = std::make_unique<Orchestrator>(kind_deps, orchestration);
  // Read from the runner when scraped: what it knows already is not counted twice.
  OperationRunner& runner = p.orchestrator->runner();
  auto one = [](double v) { return std::vector<GaugeSample>{{{}, v}}; };
  ICB_RETURN_IF_ERROR(p.metrics.AddCollectedGauge("icbroker_operations_in_flight", "Operations being advanced on this replica's workers now.", {},
                                                  [&runner, one] { return one(static_cast<double>(runner.InFlight())); }));
  ICB_RETURN_IF_ERROR(p.metrics.AddCollectedGauge("icbroker_leader", "1 while this replica holds the orchestrator's lease (at its last pass), else 0.",
                                                  {}, [&runner, one] { return one(runner.LeaseEpoch() > 0 ? 1 : 0); }));
  ICB_RETURN_IF_ERROR(p.metrics.AddCollectedGauge("icbroker_leader_epoch",
                                                  "The fencing epoch of the orchestrator's lease while this replica holds it, else 0.", {},
                                                  [&runner, one] { return one(static_cast<double>(runner.LeaseEpoch())); }));
  // Periodic work runs on one scheduler (started last, below).
  p.scheduler = std::make_unique<Scheduler>(p.clock);
  // Each automatic workload's serving address is probed from this vantage.
  DetectorOptions detection;
  detection.vantage = o.probe_vantage.value_or("local");
  p.replicas = std::make_unique<ReplicaSet>(*p.store, p.clock, ReplicaSetOptions{orchestration.broker_id, detection.vantage});
  // Known to the others before it probes anything (it probes its share
  // from the first pass); a store that is away now is retried by the task.
  if (Status s = p.replicas->Beat(); !s.ok()) log("replicas: first heartbeat not written: " + s.ToString());
  detection.replicas = p.replicas.get();
  AsioProbeOptions probing;
  probing.ca_file = o.probe_ca_file;
  probing.connections_per_origin = static_cast<size_t>(o.probe_connections_per_origin);
  probing.network = p.network.get();
  ICB_ASSIGN_OR_RETURN(auto probe_loop, NewAsioProbeRunner(probing));
  ICB_ASSIGN_OR_RETURN(ProbeMetrics probe_metrics, DeclareProbeMetrics(p.metrics));
  p.probe_loop = CountingProbeRunner(std::move(probe_loop), probe_metrics);
  p.detector = std::make_unique<Detector>(*p.scheduler, p.clock, *p.probe_loop, p.orchestrator->workloads(), *p.triggers.Find("consecutive_failures"),
                                           *p.orchestrator, detection);
  AudienceMeterOptions audience_options;
  audience_options.vantages = o.audience_vantages;
  audience_options.replicas = p.replicas.get();  // probed by each workload's owner, shared by all
  p.audiences = std::make_unique<AudienceMeter>(*p.scheduler, p.clock, *p.probe_loop, *p.catalog, p.orchestrator->workloads(), *p.store,
                                                std::move(audience_options));
  // Audiences are served near them on what the meter measures.
  p.orchestrator->LocalizeWith(*p.audiences, *p.triggers.FindLatency("latency"));
  if (!o.audience_vantages.empty()) {
    std::string names;
    for (const auto& v : o.audience_vantages) names += (names.empty() ? "" : ", ") + v;
    log("measuring audiences from vantage " + names + " (their probes name it in their User-Agent)");
  }
  return Status::Ok();
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

Status CheckBrokerOptions(const BrokerOptions& o) {
  if (o.tls && (o.tls->cert_file.empty() || o.tls->key_file.empty()))
    return InvalidArgument("TLS needs both --tls-cert and --tls-key (--tls-client-ca adds client certificates to them)");
  if (!o.require_keys && !IsLoopbackHost(o.host))
    return InvalidArgument("--auth off serves anyone who reaches the port: it is refused on " + o.host + " (loopback only: 127.0.0.1, ::1, localhost)");
  return Status::Ok();
}

Status BrokerApp::Serve(Parts& p, const BrokerOptions& o, const Log& log) {
  p.api = std::make_unique<Api>(*p.store, *p.catalog, *p.qos, p.policies, p.clock, o.api, p.orchestrator.get(), p.detector.get(),
                                p.credential_admin.get(), p.audiences.get(), &p.metrics, &p.log);
  if (o.require_keys) {
    p.api->RequireKeys();
  } else {
    log("no API keys asked (--auth off): anyone who reaches " + o.host + " may do anything");
  }
  p.server = NewBeastHttpServer(HttpThreads(o), o.http, o.tls);
  ICB_RETURN_IF_ERROR(p.server->Start(o.host, o.port, p.api->AsHandler()));
  const bool bracket = o.host.find(':') != std::string::npos;  // IPv6
  log(std::string("listening on ") + (o.tls ? "https://" : "http://") + (bracket ? "[" + o.host + "]" : o.host) + ":" + std::to_string(p.server->port()) +
      (o.tls && !o.tls->client_ca_file.empty() ? " (client certificates required)" : ""));

  if (o.probe_vantage) {
    // Active probes of every provider endpoint, tagged with this vantage point.
    QosService* qos = p.qos.get();
    p.prober = std::make_unique<EndpointProber>(*p.scheduler, p.clock, *p.probe_loop, *o.probe_vantage,
                                         [qos, log](const std::vector<QosSample>& samples) {
                                           auto r = qos->IngestSamples(samples);
                                           if (!r.ok()) log("probe samples not stored: " + r.status().ToString());
                                           return r.status();
                                         });
    Catalog* catalog = p.catalog.get();
    // Catalog changes and the brokers' shares are picked up within a second.
    p.prober->FollowCatalog([catalog, replicas = p.replicas.get(), last = std::shared_ptr<const CatalogSnapshot>(),
                             last_owners = std::vector<std::string>()]() mutable -> std::optional<std::vector<ProbeTarget>> {
      auto snap = catalog->Snapshot();
      auto owners = replicas->Owners();
      if (!snap.ok() || (*snap == last && owners == last_owners)) return std::nullopt;  // the same targets
      last = *snap;
      last_owners = owners;
      std::vector<ProbeTarget> targets = ProbeTargets(**snap);
      std::erase_if(targets, [&](const ProbeTarget& t) {
        return ReplicaSet::OwnerOf(t.provider + "/" + t.endpoint, owners) != replicas->options().self;  // another broker's
      });
      return targets;
    }, Millis(1000));
    log("probing provider endpoints as vantage \"" + *o.probe_vantage + "\"");
  }
  // The catalog's rank evidence (measurements, expected credits,
  // observations) is recomputed here, not by the request that finds it a
  // minute old: rank requests answer from the last one meanwhile.
  p.scheduler->Register("rank-evidence", [catalog = p.catalog.get(), qos = p.qos.get(), clock = &p.clock, log]() -> std::optional<MonoTime> {
    auto snapshot = catalog->Snapshot();
    Status refreshed = snapshot.ok() ? qos->RefreshShared(*snapshot, clock->Now()) : snapshot.status();
    if (!refreshed.ok()) log("rank evidence not refreshed: " + refreshed.ToString());
    return clock->Monotonic() + QosService::kRankEvidenceRefresh;
  });
  // What the allocator holds freed but resident goes back to the system
  // every 30 s: the broker's churn (probe answers, documents read each
  // pass) otherwise leaves RSS at several times what is live (1,000
  // watched workloads: 27 KiB of RSS each before, 17 KiB after;
  // scripts/bench-memory).
  p.scheduler->Register("memory-trim", [clock = &p.clock]() -> std::optional<MonoTime> {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return clock->Monotonic() + std::chrono::seconds(30);
  });
  // The audit trail keeps events_retention_days; older ones go hourly, a
  // thousand at a time.
  const auto retention = std::chrono::hours(24) * o.events_retention_days;
  p.scheduler->Register("events-retention", [store = p.store.get(), clock = &p.clock, retention, log]() -> std::optional<MonoTime> {
    auto trimmed = AuditLog(*store).Trim(clock->Now() - retention);
    if (!trimmed.ok()) log("audit retention: " + trimmed.status().ToString());
    else if (*trimmed > 0) log("audit retention: " + std::to_string(*trimmed) + " events older than the retention forgotten");
    return clock->Monotonic() + std::chrono::hours(1);
  });
  // Events written before the (subject, kind) pair indexes are listed
  // under them once, 5,000 a tick; the task ends when all are.
  p.scheduler->Register("events-pair-index", [store = p.store.get(), clock = &p.clock, log]() -> std::optional<MonoTime> {
    auto step = AuditLog(*store).IndexPairs(5'000);
    if (!step.ok()) {
      log("audit pair index: " + step.status().ToString());
      return clock->Monotonic() + std::chrono::minutes(1);
    }
    if (step->events > 0) log("audit pair index: " + std::to_string(step->events) + " past events listed");
    if (step->done) return std::nullopt;
    return clock->Monotonic() + Millis(50);
  });
  // Samples past the raw retention are rolled up, a few days per provider a
  // tick: hourly, and every 10 s while there are days to roll (after an
  // upgrade or a long stop).
  p.scheduler->Register("samples-retention", [qos = p.qos.get(), clock = &p.clock, log]() -> std::optional<MonoTime> {
    auto kept = qos->KeepSamples(32);
    if (!kept.ok()) log("samples retention: " + kept.status().ToString());
    else if (kept->days_rolled_up > 0 || kept->rollups_dropped > 0)
      log("samples retention: " + std::to_string(kept->days_rolled_up) + " series-days (" + std::to_string(kept->samples_rolled_up) +
          " samples) rolled up, " + std::to_string(kept->rollups_dropped) + " rolled-up days forgotten");
    const bool more = kept.ok() && kept->days_rolled_up > 0;
    return clock->Monotonic() + (more ? Millis(10'000) : Millis(3'600'000));
  });
  // Every 30 s, how the probes kept their schedule (a line only when some ran).
  p.scheduler->Register("probe-report", [detector = p.detector.get(), prober = p.prober.get(), clock = &p.clock, log]() -> std::optional<MonoTime> {
    auto line = [](const char* what, const ProbeScheduleStats& s) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s %llu started, %llu skipped, lateness p50 %.0f ms p99 %.0f ms max %.0f ms", what,
                    static_cast<unsigned long long>(s.started), static_cast<unsigned long long>(s.skipped), s.lateness_p50_ms, s.lateness_p99_ms,
                    s.lateness_max_ms);
      return std::string(buf);
    };
    const ProbeScheduleStats detection = detector->TakeProbeStats();
    const ProbeScheduleStats endpoints = prober ? prober->TakeStats() : ProbeScheduleStats{};
    if (detection.started + endpoints.started + detection.skipped + endpoints.skipped > 0)
      log("probes in 30 s: " + line("workloads", detection) + "; " + line("endpoints", endpoints));
    return clock->Monotonic() + std::chrono::seconds(30);
  });
  p.scheduler->Register("replica-heartbeat", [replicas = p.replicas.get(), clock = &p.clock, log]() -> std::optional<MonoTime> {
    if (Status s = replicas->Beat(); !s.ok()) log("replicas: heartbeat not written: " + s.ToString());
    return clock->Monotonic() + replicas->options().beat;
  });
  // Unfinished operations resume on the runner's first tick.
  p.orchestrator->Start(*p.scheduler);
  p.detector->Start();
  p.audiences->Start();
  p.scheduler->Start(kSchedulerThreads);
  return Status::Ok();
}

Result<std::unique_ptr<BrokerApp>> BrokerApp::Start(const BrokerOptions& o, Log log) {
  ICB_RETURN_IF_ERROR(CheckBrokerOptions(o));
  // Replicas started with their Redis (a pod before the Redis pods, a
  // Sentinel promotion under way, a replica still syncing so WAIT is not
  // met) would otherwise exit and be restarted by their supervisor with
  // its backoff: the startup is tried again whole (every step keeps what
  // is stored), with a doubling pause, until --redis-wait runs out.
  const auto give_up = std::chrono::steady_clock::now() + o.redis_wait;
  for (std::chrono::milliseconds pause{250};; pause = std::min(pause * 2, std::chrono::milliseconds(4000))) {
    auto p = std::make_unique<Parts>();
    p->log = log;
    Status s = OpenStoreAndCatalog(*p, o, log);
    if (s.ok()) s = BuildOrchestration(*p, o, log);
    if (s.ok()) {
      ICB_RETURN_IF_ERROR(Serve(*p, o, log));
      return std::unique_ptr<BrokerApp>(new BrokerApp(std::move(p)));
    }
    if (!o.redis || s.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() + pause > give_up) return s;
    log("redis refused the startup (" + s.ToString() + "): starting again in " + std::to_string(pause.count()) + " ms");
    p.reset();
    if (!o.startup_pause) std::this_thread::sleep_for(pause);
    else if (!o.startup_pause(pause)) return s;
  }
}

BrokerApp::BrokerApp(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

BrokerApp::~BrokerApp() { Stop(); }

int BrokerApp::port() const { return parts_->server->port(); }

Status BrokerApp::ReloadTls() { return parts_->server->ReloadTls(); }

void BrokerApp::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.scheduler->Stop();
  p.detector->Stop();
  // The others take this broker's share at their next heartbeat.
  (void)p.replicas->Leave();
  p.audiences->Stop();
  p.orchestrator->Stop();
  p.prober.reset();
  p.server->Stop();
  p.store.reset();
  if (p.embedded) (void)p.embedded->Stop();
}

}  // namespace icb
