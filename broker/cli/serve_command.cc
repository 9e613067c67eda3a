// icbroker serve: the HTTP API with the orchestrator, until SIGINT or SIGTERM.
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "broker/app/broker_app.h"
#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/store/redis_store.h"

namespace icb {

namespace {

struct ServeSettings {
  BrokerOptions options;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert, tls_key, tls_client_ca;
  std::string redis;
  bool probe = false;
  std::string vantage = "local";
  std::string catalog, credentials, secrets_key;
  std::string allow_networks, deny_networks, file_roots;
  size_t header_timeout_ms = 0, idle_timeout_ms = 0, body_timeout_ms = 0;
  int rank_reuse_ms = 0;
  int redis_wait_s = 0;
  std::string auth = "keys";
  std::string log_format = "text";
  std::string replica_acks = "auto";

  ServeSettings() {
    rank_reuse_ms = static_cast<int>(options.api.rank_answer_reuse.count());
    redis_wait_s = static_cast<int>(options.redis_wait.count());
    header_timeout_ms = static_cast<size_t>(options.http.header_timeout.count());
    idle_timeout_ms = static_cast<size_t>(options.http.idle_timeout.count());
    body_timeout_ms = static_cast<size_t>(options.http.body_timeout.count());
  }
};

void DefineLimits(CLI::App& sub, ServeSettings& s) {
  auto& http = s.options.http;
  auto& json = s.options.api.json;
  auto limit = [&](const char* name, size_t& value, const char* meaning) {
    sub.add_option(name, value, meaning)->type_name("N")->check(PositiveInteger())->capture_default_str()->group("Limits on what one client may send or hold");
  };
  limit("--max-connections", http.max_connections, "connections open at once (also capped by the descriptor limit); past it the longest-idle one closes");
  limit("--max-header-bytes", http.max_header_bytes, "a request's line and header fields, in bytes; over it: 431");
  limit("--max-request-line", http.max_request_line, "a request line, in bytes; over it: 414");
  limit("--header-timeout-ms", s.header_timeout_ms, "from a request's first byte to its blank line; then the connection closes");
  limit("--idle-timeout-ms", s.idle_timeout_ms, "a keep-alive connection with no request is closed after this");
  limit("--body-timeout-ms", s.body_timeout_ms, "reading one body or writing one answer");
  limit("--json-max-depth", json.max_depth, "nesting of arrays and objects in a JSON body");
  limit("--json-max-string", json.max_string_bytes, "one JSON string value, in bytes");
  limit("--json-max-items", json.max_array_items, "one JSON array's items");
  limit("--json-max-members", json.max_object_members, "one JSON object's members");
  auto& per_key = s.options.api.per_key;
  auto rate = [&](const char* name, double& value, const char* meaning) {
    sub.add_option(name, value, meaning)->type_name("N")->check(CLI::Range(0.0, 1e6).description(""))->capture_default_str()->group("Limits on what one client may send or hold");
  };
  rate("--rate-per-key", per_key.per_second, "requests a second one API key may make (with keys); over it: 429 with Retry-After; 0: no limit");
  rate("--rate-burst", per_key.burst, "requests one API key may make at once after a pause");
}

int RunServe(ServeSettings& s) {
  // glibc gives each thread that allocates its own heap, up to eight per
  // core; the broker's many short-lived allocations spread over them hold
  // far more memory than is live (1,000 watched workloads: 50 KiB of RSS
  // each with the default, 25 to 33 KiB with two heaps a core; 2,000 on two
  // cores: 11.0 KiB each with four heaps, 9.0 with one; scripts/bench-memory).
  // One heap for two cores. It costs CPU: the HTTP threads queue on the
  // heap's lock for every allocation too large for malloc's per-thread
  // cache, and a rank computed afresh costs 15 to 20 % more than with a
  // heap per core (interleaved A/B runs of bench-rank's cases, 2026-12-07),
  // while with a heap per core 10,000 watched workloads held 8.2 KiB each
  // against 4.8 (docs/deploy.md, "Memory or CPU"). The environment's
  // MALLOC_ARENA_MAX, when set, still wins.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / 2)));
  BrokerOptions& o = s.options;
  auto colon = s.listen.rfind(':');
  o.host = s.listen.substr(0, colon);
  o.port = std::stoi(s.listen.substr(colon + 1));
  o.http.header_timeout = std::chrono::milliseconds(s.header_timeout_ms);
  o.http.idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms);
  o.http.body_timeout = std::chrono::milliseconds(s.body_timeout_ms);
  o.api.rank_answer_reuse = std::chrono::milliseconds(s.rank_reuse_ms);
  o.require_keys = s.auth == "keys";
  if (s.probe) o.probe_vantage = s.vantage;
  if (!s.catalog.empty()) o.catalog_dir = s.catalog;
  if (!s.credentials.empty()) o.credentials_file = s.credentials;
  if (!s.secrets_key.empty()) o.secrets_key_file = s.secrets_key;
  for (auto [flag, text, into] : {std::tuple{"--allow-networks", &s.allow_networks, &o.allow_networks},
                                  std::tuple{"--deny-networks", &s.deny_networks, &o.deny_networks}}) {
    auto networks = NetworkPolicy::ParseNetworks(*text);
    if (!networks.ok()) {
      PrintStatus(std::string("icbroker serve: ") + flag + ": ", networks.status());
      return 2;
    }
    *into = std::move(*networks);
  }
  // Each an existing folder, kept canonical: a file store's path is compared with it after its links are resolved.
  for (size_t at = 0; !s.file_roots.empty() && at <= s.file_roots.size();) {
    const size_t comma = s.file_roots.find(',', at);
    const std::string root = s.file_roots.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    std::error_code ec;
    const auto real = std::filesystem::canonical(root, ec);
    if (ec || !std::filesystem::is_directory(real)) {
      std::fprintf(stderr, "icbroker serve: --file-roots: %s is not a folder\n", root.c_str());
      return 2;
    }
    o.file_roots.push_back(real.string());
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  if (!s.redis.empty()) {
    auto addr = ParseRedisUrl(s.redis);
    if (!addr.ok()) {
      PrintStatus("icbroker serve: --redis: ", addr.status());
      return 2;
    }
    o.redis = *addr;
  }
  if (s.replica_acks != "auto") o.redis_replica_acks = std::atoi(s.replica_acks.c_str());
  o.redis_wait = std::chrono::seconds(s.redis_wait_s);

  if (Status refused = CheckBrokerOptions(o); !refused.ok()) {
    PrintStatus("icbroker serve: ", refused);
    return 1;
  }

  if (!s.tls_cert.empty() || !s.tls_key.empty() || !s.tls_client_ca.empty()) o.tls = TlsFiles{s.tls_cert, s.tls_key, s.tls_client_ca};

  // Signals are handled by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const Logger log(s.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  // While the startup waits for Redis, SIGINT or SIGTERM ends the wait
  // (SIGHUP has nothing to reload yet).
  o.startup_pause = [&](std::chrono::milliseconds pause) {
    const auto until = std::chrono::steady_clock::now() + pause;
    for (auto left = pause; left.count() > 0;
         left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now())) {
      const timespec wait{static_cast<time_t>(left.count() / 1000), static_cast<long>(left.count() % 1000) * 1000000L};
      const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
      if (sig == SIGINT || sig == SIGTERM) {
        log("signal " + std::to_string(sig) + " while waiting for Redis, exiting");
        return false;
      }
    }
    return true;
  };
  auto broker = BrokerApp::Start(o, log);
  if (!broker.ok()) {
    PrintStatus("icbroker serve: ", broker.status());
    return 1;
  }
  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    // A renewed certificate: read again, the connections open kept.
    Status reloaded = (*broker)->ReloadTls();
    if (reloaded.ok()) log("SIGHUP: TLS certificate and key read again");
    else log.Log(LogLevel::kError, "SIGHUP: TLS not reloaded, the old certificate stays: " + reloaded.ToString());
  }
  log("signal " + std::to_string(sig) + ", shutting down");
  (*broker)->Stop();
  return 0;
}

}  // namespace

CommandRun DefineServe(CLI::App& sub) {
  auto s = std::make_shared<ServeSettings>();
  BrokerOptions& o = s->options;
  sub.add_option("--listen", s->listen, "where the HTTP API listens; port 0 picks a free one")->type_name("HOST:PORT")->check(ListenAddress())->capture_default_str();
  sub.add_option("--threads", o.http_threads, "threads serving HTTP, 2 to 1024; 0: one per CPU core (at least 2)")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            const int n = std::atoi(v.c_str());
            return v == "0" || (n >= 2 && n <= 1024 && std::to_string(n) == v) ? "" : "0, or 2 to 1024";
          },
          ""))
      ->capture_default_str();
  sub.add_option("--data-dir", o.data_dir, "the embedded redis-server's folder (AOF on), when there is no --redis")->type_name("DIR")->capture_default_str();
  sub.add_option("--redis", s->redis,
                 "an external Redis: redis://[:PASSWORD@]HOST[:PORT][/DB], unix:///PATH[?db=N], or behind Sentinel "
                 "sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT/MASTER[/DB], or a Redis Cluster cluster://[:PASSWORD@]HOST:PORT,HOST:PORT "
                 "(default: an embedded redis-server in --data-dir)")
      ->type_name("URL");
  sub.add_option("--redis-replica-acks", s->replica_acks,
                 "replicas of an external Redis that must have a write before the broker acknowledges it (WAIT; fewer within " +
                     std::to_string(RedisStoreOptions{}.replica_ack_timeout.count()) +
                     " ms: 503, the caller retries); auto: 1 behind sentinel://, else 0 (0 to 16)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            const int n = std::atoi(v.c_str());
            return v == "auto" || (n >= 0 && n <= 16 && std::to_string(n) == v) ? "" : "auto, or 0 to 16";
          },
          ""))
      ->type_name("N")
      ->capture_default_str();
  sub.add_option("--redis-wait-s", s->redis_wait_s,
                 "seconds an external Redis that refuses at startup (not up yet, a promotion, WAIT not met) is asked again before "
                 "the broker exits; 0: exit at the first refusal")
      ->check(CLI::Range(0, 3600).description(""))
      ->type_name("S")
      ->capture_default_str();
  sub.add_option("--log-format", s->log_format,
                 "standard error's lines: text (\"icbroker: ...\") or json (one object a line: ts, level, msg and fields such as request_id, "
                 "operation, step)")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FORMAT")
      ->capture_default_str();
  sub.add_option("--appendfsync", o.appendfsync, "the embedded Redis's fsync: always (after every write) or everysec")
      ->check(CLI::IsMember({"always", "everysec"}))
      ->type_name("MODE")
      ->capture_default_str();
  sub.add_option("--auth", s->auth,
                 "keys: every route but the index, the API description and /v1/health needs an API key (icbroker keys create); off: anyone on the port may do anything, refused beyond loopback")
      ->check(CLI::IsMember({"keys", "off"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // scripts/run-demo says off; a later --auth keys wins
      ->type_name("MODE")
      ->capture_default_str();
  sub.add_flag("--demo", o.demo, "load the demo catalog at start (keeping what is stored)");
  sub.add_option("--catalog", s->catalog, "load a catalog folder laid out like deploy/demo/ at start (keeping what is stored)")->type_name("DIR");
  sub.add_option("--credentials", s->credentials, "adapter secrets by name, from a file of mode 0600")->type_name("FILE");
  sub.add_option("--secrets-key", s->secrets_key,
                 "key ring (mode 0600, \"ID HEX\" lines, the first seals) for credentials kept in the store through /v1/credentials; resealed with the first key at start")
      ->type_name("FILE");
  sub.add_option("--allow-networks", s->allow_networks,
                 "loopback and private networks (CIDRs, comma-separated) that probes, verify steps and adapters may connect to; others of those "
                 "ranges are refused, metadata, link-local and multicast always (e.g. 127.0.0.0/8 for the lab)")
      ->type_name("CIDRS");
  sub.add_option("--deny-networks", s->deny_networks, "networks (CIDRs, comma-separated) probes, verify steps and adapters may never connect to")
      ->type_name("CIDRS");
  sub.add_option("--file-roots", s->file_roots,
                 "folders (comma-separated) the file object store adapter may read and write under; none: that adapter is refused")
      ->type_name("DIRS");
  sub.add_flag("--probe", s->probe, "probe every provider endpoint (HTTP(S) or TCP) and store the samples");
  sub.add_option("--tls-cert", s->tls_cert, "PEM certificate chain: serve the API over TLS only (1.2+; re-read on SIGHUP)")->check(ExistingFile())->type_name("FILE");
  sub.add_option("--tls-key", s->tls_key, "PEM private key of --tls-cert (re-read on SIGHUP)")->check(ExistingFile())->type_name("FILE");
  sub.add_option("--tls-client-ca", s->tls_client_ca, "PEM CAs: clients must present a certificate chaining to them (with --tls-cert)")
      ->check(ExistingFile())
      ->type_name("FILE");
  sub.add_option("--probe-ca", o.probe_ca_file, "PEM file of the CAs https:// probe targets must chain to (default: the system's)")->type_name("FILE");
  sub.add_option("--vantage", s->vantage, "the vantage name --probe tags its samples with")->type_name("NAME")->capture_default_str();
  sub.add_option("--audience-vantages", o.audience_vantages,
                 "vantages (comma-separated) this broker stands at: it probes the workloads' audiences measured from them, naming the vantage in each probe's User-Agent; other audiences are measured by the samples pushed for them")
      ->delimiter(',')
      ->check(IdName())
      ->type_name("NAMES");
  // A number within [lo, hi], shown with its default.
  auto ranged = [&sub](const char* name, int& value, const char* meaning, const char* type, int lo, int hi) {
    sub.add_option(name, value, meaning)->type_name(type)->check(CLI::Range(lo, hi).description(""))->capture_default_str();
  };
  ranged("--operation-workers", o.operation_workers, "operations advanced side by side: outage recovery first on a quarter kept for it, each tenant's other work on at most half the rest, priority 1 first (1 to 1024)", "N", 1, 1024);
  ranged("--operations-per-tenant", o.operations_per_tenant,
         "operations one tenant may have started by request (failovers, moves, copies) and not ended; more are 429 (0: no limit; detection and recovery never wait)",
         "N", 0, 1000000);
  ranged("--provider-calls", o.provider_calls,
         "calls in flight at one provider's adapter (compute, DNS, traffic split, object storage) unless its calls_in_flight says; more wait, priority 1 first",
         "N", 1, 1024);
  ranged("--probe-connections-per-origin", o.probe_connections_per_origin,
         "probes holding a connection to one host:port at once (kept alive, each takes the next probe); more wait, their timeout running (1 to 100000)",
         "N", 1, 100000);
  ranged("--readiness-interval-s", o.readiness_interval_s,
         "seconds between the leader's standing drills of every provider (read-only; GET /v1/readiness, readiness events); 0: none (0 to 86400)", "S",
         0, 86400);
  ranged("--events-retention-days", o.events_retention_days, "audit events older than this are forgotten, checked hourly (1 to 36500)", "DAYS", 1, 36500);
  ranged("--samples-raw-days", o.samples_raw_days,
         "QoS samples are kept raw this long, then rolled up per minute (every figure unchanged); older pushed samples are refused (3 to 3650)", "DAYS",
         3, 3650);
  ranged("--samples-rollup-days", o.samples_rollup_days,
         "rolled-up QoS samples older than this are forgotten (at least --samples-raw-days; up to 36500)", "DAYS", 3, 36500);
  ranged("--rank-reuse-ms", s->rank_reuse_ms,
         "an identical rank request over unchanged catalog and evidence is answered from the last answer this long (its at says when); 0: never (0 to 60000)",
         "MS", 0, 60000);
  sub.add_option("--broker-id", o.broker_id, "this broker as the orchestrator's lease holder; the same id after a restart takes the lease back at once (default: HOSTNAME:PORT)")
      ->type_name("ID");
  DefineLimits(sub, *s);
  return [s] { return RunServe(*s); };
}

}  // namespace icb
