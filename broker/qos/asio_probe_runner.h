// Probes on an event loop (Boost.Asio): thousands at once on a few
// threads, each bounded by its own timeout from when it was started, HTTP
// keep-alive connections reused per scheme, host and port (a probe of a
// target every 10 s costs no TCP or TLS handshake after the first), and at
// most `connections_per_origin` open to one host:port (the rest wait for
// one to come free). http://, https:// (the
// server's certificate verified against the trusted CAs and the URL's host
// name) and tcp:// URLs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/core/network_policy.h"
#include "broker/qos/prober.h"

namespace icb {

struct AsioProbeOptions {
  int threads = 1;
  // The most probes holding a connection to one host:port at once; probes
  // beyond it wait (first come, first served) for one to finish, and a
  // kept-alive connection takes the next. Why a bound: ten thousand
  // workloads behind one load balancer probe in the same fifth of a second,
  // and were ten thousand connections opened and closed each round (their
  // sockets, timers and buffers left the heap in fragments: several KiB of
  // RSS per workload). A waiting probe's timeout runs while it waits: an
  // origin that hangs fails all its probes at their timeouts, and holds up
  // no other origin's. An origin answering in t seconds serves at most
  // this many / t probes a second.
  size_t connections_per_origin = 256;
  // Idle keep-alive connections kept per host:port, and for how long: a
  // server that closed one meanwhile costs a retry on a fresh connection.
  // Watched workloads behind one load balancer are hundreds of probes a
  // second to one origin, a few dozen in flight at once.
  size_t idle_per_origin = 64;
  Millis idle_for{60'000};
  // The most of a body read (expect_body looks in it); a longer body is a
  // `body` failure, never an unbounded read.
  size_t body_limit = 64 * 1024;
  // PEM file of the CAs https:// servers must chain to; empty: the
  // system's (OpenSSL's default verify paths).
  std::string ca_file;
  // Set: every address a target's name resolves to is checked, and the
  // connection goes only to those checked (a name with one denied address
  // fails as a connect failure, and nothing is sent). Outlives the runner.
  const NetworkPolicy* network = nullptr;
};

// Where a probe goes: http[s]://host[:port][/target] or tcp://host:port (a
// literal IPv6 host in brackets). nullopt for anything else, user info
// included. (Exposed for its fuzz target.)
struct ProbeUrl {
  bool connect_only = false;  // tcp://
  bool tls = false;           // https://
  std::string host, port, host_header, target;
  std::string origin() const { return (tls ? "https " : "http ") + host + " " + port; }
};
std::optional<ProbeUrl> ParseProbeUrl(std::string_view url);

// `done` is not called for probes still in flight when the runner is
// destroyed (its loop stops with them). An error when the CA file cannot
// be read.
Result<std::unique_ptr<AsyncProbeRunner>> NewAsioProbeRunner(const AsioProbeOptions& options = {});

}  // namespace icb
