// Active probes, the port: one probe of an endpoint (HTTP(S) GET or TCP
// connect) and how its answer is judged. EndpointProber and the detector
// schedule them; the verify steps run one and wait.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/core/http_client.h"
#include "broker/core/network_policy.h"
#include "broker/catalog/catalog.h"
#include "broker/model/qos.h"

namespace icb {

struct ProbeTarget {
  std::string provider, endpoint, url;
  ProbeSettings settings;
  // The vantage the probe measures for, named in its User-Agent
  // ("icbroker-probe (vantage seoul-1)") as Route 53's health checkers name
  // theirs: a server's logs (and the lab's simulated providers, which
  // answer each vantage with its own latency) tell the vantages apart.
  std::string vantage;
};

// Every enabled endpoint of every provider.
std::vector<ProbeTarget> ProbeTargets(const CatalogSnapshot& catalog);

class ProbeRunner {
 public:
  virtual ~ProbeRunner() = default;
  // One probe; fills ok, latency_ms, status, error (reference 10.e).
  virtual QosSample Run(const ProbeTarget& target) = 0;
};

// Probes started and answered on an event loop, many in flight at once.
class AsyncProbeRunner {
 public:
  using Done = std::function<void(QosSample)>;
  virtual ~AsyncProbeRunner() = default;
  // Starts one probe; `done` runs once, on a loop thread, with ok,
  // latency_ms, status and error filled as ProbeRunner::Run fills them.
  // The target is shared, not copied: ten thousand probes in flight at
  // once hold one copy of each.
  virtual void Start(std::shared_ptr<const ProbeTarget> target, Done done) = 0;
};

// A sample for `target` with its answer judged (reference 10.e): the whole
// exchange within the timeout, an expected status (any 2xx unless listed),
// the expected text in the body. Every runner judges with this.
QosSample JudgeHttpAnswer(const ProbeTarget& target, int status, std::string_view body, double latency_ms);
// A sample for `target` that got no answer (error: timeout or connect).
QosSample FailedProbe(const ProbeTarget& target, ProbeError error);

// Real network probes: http(s):// through the HttpClient port, tcp://host:port
// by connecting, only to addresses `network` allows when it is given (the
// HttpClient is guarded by the caller). Latency is wall time from sending
// until the complete answer.
class NetworkProbeRunner final : public ProbeRunner {
 public:
  explicit NetworkProbeRunner(HttpClient& http, const NetworkPolicy* network = nullptr) : http_(http), network_(network) {}
  QosSample Run(const ProbeTarget& target) override;

 private:
  HttpClient& http_;
  const NetworkPolicy* network_;
};

}  // namespace icb
