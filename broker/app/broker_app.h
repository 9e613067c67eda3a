// The composition root: builds the running broker from its options (store,
// catalog, policies, QoS, the API and its HTTP server, the scheduler and
// what runs on it) in one place, and takes it down in reverse order. The
// `serve` command only parses flags into BrokerOptions.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/api/api.h"
#include "broker/api/http.h"
#include "broker/core/log.h"
#include "broker/qos/asio_probe_runner.h"
#include "broker/store/redis_store.h"

namespace icb {

struct BrokerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (BrokerApp::port() tells which)
  // Threads serving HTTP; 0: one per CPU core (at least 2). Requests are
  // CPU work and short Redis calls: more threads than cores only time-slice
  // them (on 2 cores, 16 threads put a rank's p99 at 29 ms, 2 at 7.6 ms).
  int http_threads = 0;
  std::optional<RedisAddress> redis;  // unset: an embedded redis-server in data_dir
  std::optional<int> redis_replica_acks;  // RedisStoreOptions::replica_acks; unset: DefaultReplicaAcks(*redis)
  // An external Redis that refuses at startup (not up yet, a promotion
  // under way, WAIT not met) is asked again for this long before the broker
  // gives up; 0: exit at the first refusal.
  std::chrono::seconds redis_wait{60};
  // Waits out the pause before the startup is tried again; false: give up
  // now (serve: a stop signal arrived, so a supervisor's SIGTERM is not
  // held until the wait ends). Unset: sleeps.
  std::function<bool(std::chrono::milliseconds)> startup_pause;
  std::string data_dir = "./icbroker-data";
  std::string appendfsync = "always";
  bool demo = false;                      // load the demo catalog (keeping what is there)
  std::optional<std::string> catalog_dir; // load a catalog folder (keeping what is there)
  std::optional<std::string> probe_vantage;  // set: probe provider endpoints as this vantage
  std::vector<std::string> audience_vantages;  // the vantages this broker measures workloads' audiences from
  std::string probe_ca_file;  // CAs https:// probe targets chain to (PEM); empty: the system's
  // Probes holding a connection to one host:port at once (the rest wait):
  // AsioProbeOptions::connections_per_origin.
  int probe_connections_per_origin = static_cast<int>(AsioProbeOptions{}.connections_per_origin);
  // Where probes, verify steps and adapters may connect (network_policy.h):
  // loopback and private addresses only inside `allow_networks`, never
  // inside `deny_networks`, never metadata, link-local or multicast.
  std::vector<IpNetwork> allow_networks, deny_networks;
  // Folders (canonical) the `file` object store may use; none: it is refused.
  std::vector<std::string> file_roots;
  std::optional<std::string> credentials_file;  // adapter secrets by name (mode 0600)
  // The key ring credentials kept in the store are sealed with (mode 0600,
  // "ID HEX" lines, the first seals); unset: the broker keeps none itself.
  std::optional<std::string> secrets_key_file;
  // This broker as the orchestrator's lease holder; the same id after a
  // restart takes its lease back at once. Empty: HOSTNAME:PORT.
  std::string broker_id;
  Millis lease_ttl{10'000};
  // Operations advanced side by side, priority 1 first: a recovery of
  // hundreds of workloads overlaps their provider calls. A worker is a
  // thread that mostly waits on a provider: 32 let 100 failovers of two
  // calls of 400 ms each finish within 10 s (scripts/bench-recovery).
  int operation_workers = 32;
  // Operations one tenant may have started by request and not ended (429 beyond).
  int operations_per_tenant = 100;
  // Control-plane calls in flight at one provider (compute, DNS, traffic
  // split); more wait, priority 1 first. A provider that wants fewer says
  // so with 429 and Retry-After, which every call waits out.
  int provider_calls = 16;
  // Audit events older than this are forgotten (checked hourly).
  int events_retention_days = 400;
  // Standing drills of every provider, on the leader, this often (0: none).
  int readiness_interval_s = 60;
  // QoS samples are kept raw this long, then rolled up per minute (every
  // figure stays the same) and forgotten at samples_rollup_days. Pushed
  // samples older than the raw retention are refused.
  int samples_raw_days = 35;
  int samples_rollup_days = 400;
  HttpServerLimits http;
  // Set: the API is served over TLS only (serve --tls-cert, --tls-key,
  // --tls-client-ca), the files read again on ReloadTls (SIGHUP).
  std::optional<TlsFiles> tls;
  ApiLimits api;
  // Every route but the index, the API's description and health needs an
  // API key (`--auth keys`); false (`--auth off`) serves anyone, and is
  // refused on a host beyond loopback.
  bool require_keys = true;
};

// 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost": where a broker
// without keys may listen.
bool IsLoopbackHost(std::string_view host);
// What Start refuses before it starts anything (a broker without keys
// beyond loopback).
Status CheckBrokerOptions(const BrokerOptions& options);

class BrokerApp {
 public:
  // Progress lines ("listening on ...") go to `log`.
  using Log = Logger;  // log("...") for a plain line; Log(level, message, fields) for one with fields
  static Result<std::unique_ptr<BrokerApp>> Start(const BrokerOptions& options, Log log);
  ~BrokerApp();
  BrokerApp(const BrokerApp&) = delete;
  BrokerApp& operator=(const BrokerApp&) = delete;

  int port() const;
  // Reads the TLS files again: new connections get the new certificate,
  // open ones are not dropped. FailedPrecondition without TLS; on an error
  // the old certificate stays.
  Status ReloadTls();
  // Stops serving and the scheduler, then the store (idempotent).
  void Stop();

 private:
  struct Parts;
  // Start's phases, in order: the store and the catalog; the QoS service,
  // the provider adapters, the orchestrator and the detector; the API, its
  // server, probing and the scheduler.
  static Status OpenStoreAndCatalog(Parts& p, const BrokerOptions& o, const Log& log);
  // Within the first: the credentials the adapters use (the file's, then
  // the store's, resealed with the key ring's first key).
  static Status OpenCredentials(Parts& p, const Log& log);
  static Status BuildOrchestration(Parts& p, const BrokerOptions& o, const Log& log);
  static Status Serve(Parts& p, const BrokerOptions& o, const Log& log);
  explicit BrokerApp(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace icb
