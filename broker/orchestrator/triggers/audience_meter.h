// What each audience of a workload sees (issue 22: users far from the
// serving site): the latency of each provider that may serve it, measured
// from the audience's vantage, over the audience's window: the placement
// (at the workload's address), the provider serving it away from the
// placement (at its address there), and each candidate the audience may be
// moved to (at the first endpoint its catalog entry lists; at most
// kMaxCandidates, in the candidates' order or, for a workload that names
// none, the catalog's providers with compute). Two sources, as for
// outage detection: this broker's own probes, for the audiences whose
// vantage it stands at (`serve --audience-vantages`; each probe names the
// vantage in its User-Agent), and samples other vantages push to
// POST /v1/workloads/{id}/samples (of the provider they name, else of the
// one serving the audience). The localize controller and the localize
// kind read it.
//
// With replicas (brokers sharing the store), each workload's audiences are
// probed by the broker that owns the workload (ReplicaSet, as detection),
// and every broker shares the samples it probed or was pushed through an
// indexed log in the store (icb:audience:log), which every broker reads
// every `share_every`: each holds every audience's window, so the leader
// decides on all of them, any broker answers for any workload, and the
// next owner goes on from the window when one dies.
//
// Latency statistics are over successful probes only (reference 10.g); a
// failed one is counted apart (an audience whose probes all fail sees an
// outage, which is detection's business, not a latency).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/core/clock.h"
#include "broker/core/scheduler.h"
#include "broker/core/status.h"
#include "broker/catalog/catalog.h"
#include "broker/orchestrator/kinds/localize.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/triggers/trigger.h"
#include "broker/qos/probe_schedule.h"
#include "broker/store/replica_set.h"
#include "broker/store/store.h"

namespace icb {

struct AudienceMeterOptions {
  // The vantages this broker stands at: it probes the audiences measured
  // from them. Others are measured only by the samples pushed for them.
  std::vector<std::string> vantages;
  Millis follow_every{1000};  // how soon a new or moved audience is measured
  Millis probe_spread{200};   // an interval's probes spread over this much of it
  const ReplicaSet* replicas = nullptr;  // brokers sharing the probing (none: this one measures alone)
  Millis share_every{250};               // with replicas: how often samples are shared and read
};

// An audience's latency now, from its vantage.
struct AudienceReading {
  std::string vantage;
  std::string provider;  // the one measured: the audience's serving provider
  size_t ok = 0, failed = 0;      // samples in the window
  std::optional<double> p95_ms;   // of the successful ones (nearest rank); none: no success in the window
  std::optional<TimePoint> newest, oldest;  // the window's latest and oldest samples' times, any outcome
  size_t failing = 0;                       // the newest samples that failed, in a row
  // As the latency trigger policy reads it (trigger.h).
  LatencyReading latency() const { return {ok, failed, p95_ms, oldest, failing}; }
};

class AudienceMeter final : public AudienceLatencies {
 public:
  // Providers measured per audience beyond the placement and where it is served.
  static constexpr size_t kMaxCandidates = 16;
  AudienceMeter(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& probes, Catalog& catalog, WorkloadCache& workloads, Store& store,
                AudienceMeterOptions options);
  ~AudienceMeter();
  AudienceMeter(const AudienceMeter&) = delete;
  AudienceMeter& operator=(const AudienceMeter&) = delete;

  // Registers the follow task and the probe schedule.
  void Start();
  void Stop();
  // One pass: which audiences are measured, of which provider at which
  // address (tests on a manual clock call it).
  void Follow();

  // Samples of `workload` pushed from `vantage`: they count for each of its
  // audiences measured from there, as of `provider` (empty: the one serving
  // the audience). NotFound when it has none, or does not measure `provider`.
  Status Push(const std::string& workload, const std::string& vantage, const std::vector<VantageSample>& samples,
              const std::string& provider = "");

  // The audience's latency at the provider serving it, over its window
  // ending now; nullopt for an audience not measured (unknown, or its
  // workload not placed yet).
  std::optional<AudienceReading> Read(const std::string& workload, const std::string& audience) const;
  // The same of `provider`; nullopt: not measured for that audience.
  std::optional<AudienceReading> Read(const std::string& workload, const std::string& audience, const std::string& provider) const;
  std::optional<LatencyReading> Latency(const std::string& workload, const std::string& audience, const std::string& provider) const override;

 private:
  struct Sample {
    TimePoint ts;
    bool ok = false;
    std::optional<double> latency_ms;
  };
  struct Series {
    std::string vantage, provider, url;
    Millis window{300'000}, interval{1000};
    std::deque<Sample> samples;  // oldest first, none older than the window
  };
  // Series by workload, audience and provider; the audience's by its first two.
  static std::string Key(const std::string& workload, const std::string& audience) { return workload + " " + audience; }
  static std::string Key(const std::string& workload, const std::string& audience, const std::string& provider) {
    return Key(workload, audience) + " " + provider;
  }
  std::optional<AudienceReading> ReadLocked(const std::string& key) const;
  void Answered(std::vector<ProbeAnswer> answers);
  // Under mu_: adds one and forgets what left the window; with replicas,
  // one this broker measured or was pushed is shared too.
  void AddLocked(const std::string& key, Series& series, Sample sample, bool share);
  // With replicas: writes what this broker measured since the last call
  // to the shared log, adds what the others wrote there, and trims it.
  void Share();
  void PublishUnshared();
  void ReadShared();
  void TrimShared();

  Scheduler& scheduler_;
  const Clock& clock_;
  AsyncProbeRunner& probes_;
  Catalog& catalog_;
  WorkloadCache& workloads_;
  Store& store_;
  AudienceMeterOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;  // by Key(workload, audience, provider)
  std::map<std::string, std::string> serving_;  // by Key(workload, audience): the provider serving it
  std::map<std::string, std::vector<std::string>> by_workload_;  // its audiences measured, in its order
  std::unique_ptr<ProbeSchedule> schedule_;
  bool started_ = false;
  // Sharing (with replicas). This process's name in the log: the broker id
  // and when it started, so that a restarted broker reads back what it
  // shared before.
  std::string instance_;
  std::deque<std::pair<std::string, Sample>> unshared_;  // under mu_: by series key
  std::optional<std::pair<std::string, std::string>> publishing_;  // a record written and not acknowledged: member, text
  long long published_ = 0;
  long long read_after_ = 0;  // the last log record read
  bool followed_ = false;     // under mu_: the series are known (a record read before would be lost)
  Millis keep_{360'000};      // under mu_: the longest window measured, and a minute
  std::optional<MonoTime> trimmed_at_;
};

}  // namespace icb
