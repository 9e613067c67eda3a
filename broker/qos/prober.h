// Active probes: the broker measures provider endpoints itself (HTTP(S) GET or
// TCP connect), tagged with its vantage point, on a schedule driven by the
// injected clock, so tests advance time instead of sleeping.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker/core/http_client.h"
#include "broker/catalog/catalog.h"
#include "broker/model/qos.h"

namespace icb {

struct ProbeTarget {
  std::string provider, endpoint, url;
  ProbeSettings settings;
};

// Every enabled endpoint of every provider.
std::vector<ProbeTarget> ProbeTargets(const CatalogSnapshot& catalog);

class ProbeRunner {
 public:
  virtual ~ProbeRunner() = default;
  // One probe; fills ok, latency_ms, status, error (reference 10.e).
  virtual QosSample Run(const ProbeTarget& target) = 0;
};

// Real network probes: http(s):// through the HttpClient port, tcp://host:port
// by connecting. Latency is wall time from sending until the complete answer.
class NetworkProbeRunner final : public ProbeRunner {
 public:
  explicit NetworkProbeRunner(HttpClient& http) : http_(http) {}
  QosSample Run(const ProbeTarget& target) override;

 private:
  HttpClient& http_;
};

class ProbeScheduler {
 public:
  using Sink = std::function<Status(const std::vector<QosSample>&)>;
  ProbeScheduler(const Clock& clock, ProbeRunner& runner, std::string vantage, Sink sink)
      : clock_(clock), runner_(runner), vantage_(std::move(vantage)), sink_(std::move(sink)) {}

  // Replaces the target list; a target that stays keeps its schedule, a new
  // one is due at once.
  void SetTargets(const std::vector<ProbeTarget>& targets);
  // Runs every probe due now (concurrently), hands the samples to the sink,
  // and returns when the next probe is due (or nullopt without targets).
  std::optional<TimePoint> Tick();

 private:
  struct Scheduled {
    ProbeTarget target;
    TimePoint due;
  };
  const Clock& clock_;
  ProbeRunner& runner_;
  std::string vantage_;
  Sink sink_;
  std::map<std::string, Scheduled> scheduled_;  // by provider/endpoint/url
};

}  // namespace icb
