// Probes on an event loop (Boost.Asio): thousands in flight on a few
// threads, each bounded by its own timeout, HTTP keep-alive connections
// reused per host and port (a probe of a target every 10 s costs no TCP
// handshake after the first). http:// and tcp:// URLs; an https:// target
// is answered as a connect failure here (NetworkProbeRunner probes those).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/qos/prober.h"

namespace icb {

struct AsioProbeOptions {
  int threads = 1;
  // Idle keep-alive connections kept per host:port, and for how long: a
  // server that closed one meanwhile costs a retry on a fresh connection.
  size_t idle_per_origin = 4;
  Millis idle_for{60'000};
  // The most of a body read (expect_body looks in it); a longer body is a
  // `body` failure, never an unbounded read.
  size_t body_limit = 64 * 1024;
};

// Where a probe goes: http://host[:port][/target] or tcp://host:port (a
// literal IPv6 host in brackets). nullopt for anything else, user info
// included. (Exposed for its fuzz target.)
struct ProbeUrl {
  bool connect_only = false;  // tcp://
  std::string host, port, host_header, target;
  std::string origin() const { return host + " " + port; }
};
std::optional<ProbeUrl> ParseProbeUrl(std::string_view url);

// `done` is not called for probes still in flight when the runner is
// destroyed (its loop stops with them).
std::unique_ptr<AsyncProbeRunner> NewAsioProbeRunner(const AsioProbeOptions& options = {});

}  // namespace icb
