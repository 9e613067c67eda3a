// Active probes: the broker measures provider endpoints itself (HTTP(S) GET or
// TCP connect), tagged with its vantage point, on the broker's scheduler and
// the injected clock, so tests advance time instead of sleeping.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/http_client.h"
#include "broker/core/scheduler.h"
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

// Probes started and answered on an event loop, many in flight at once.
class AsyncProbeRunner {
 public:
  using Done = std::function<void(QosSample)>;
  virtual ~AsyncProbeRunner() = default;
  // Starts one probe; `done` runs once, on a loop thread, with ok,
  // latency_ms, status and error filled as ProbeRunner::Run fills them.
  virtual void Start(const ProbeTarget& target, Done done) = 0;
};

// A sample for `target` with its answer judged (reference 10.e): the whole
// exchange within the timeout, an expected status (any 2xx unless listed),
// the expected text in the body. Every runner judges with this.
QosSample JudgeHttpAnswer(const ProbeTarget& target, int status, std::string_view body, double latency_ms);
// A sample for `target` that got no answer (error: timeout or connect).
QosSample FailedProbe(const ProbeTarget& target, ProbeError error);

// Real network probes: http(s):// through the HttpClient port, tcp://host:port
// by connecting. Latency is wall time from sending until the complete answer.
class NetworkProbeRunner final : public ProbeRunner {
 public:
  explicit NetworkProbeRunner(HttpClient& http) : http_(http) {}
  QosSample Run(const ProbeTarget& target) override;

 private:
  HttpClient& http_;
};

// Probes every target on the broker's one Scheduler: a task per target at
// its own interval, run on the scheduler's small pool (never a thread per
// probe). Samples carry the injected clock's time at sending and this
// vantage point, and go to the sink one probe at a time.
class Prober {
 public:
  using Sink = std::function<Status(const std::vector<QosSample>&)>;
  Prober(Scheduler& scheduler, const Clock& clock, ProbeRunner& runner, std::string vantage, Sink sink)
      : scheduler_(scheduler), clock_(clock), runner_(runner), vantage_(std::move(vantage)), sink_(std::move(sink)) {}
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Replaces the target list: a target that stays keeps its schedule, a new
  // or changed one is due at once, a removed one stops.
  void SetTargets(const std::vector<ProbeTarget>& targets);
  // Keeps the targets in step with the catalog: a task that reads `targets`
  // every `every` (the catalog's own refresh makes this cheap); nullopt
  // (the catalog could not be read) keeps the current ones.
  void FollowCatalog(std::function<std::optional<std::vector<ProbeTarget>>()> targets, Millis every);

 private:
  std::optional<MonoTime> ProbeOnce(const ProbeTarget& target);

  Scheduler& scheduler_;
  const Clock& clock_;
  ProbeRunner& runner_;
  std::string vantage_;
  Sink sink_;
  std::mutex mu_;
  std::map<std::string, ProbeTarget> registered_;  // by task name
  bool following_ = false;
};

}  // namespace icb
