// Detection: the broker probes each automatic workload's serving address at
// its failover.interval_s from its own vantage, takes samples other
// vantages push, and asks the trigger policy after each one. A failure is
// recorded once (a `detected` event naming the workload and the provider,
// with the samples per vantage that made it); workloads a provider takes
// down together are gathered for a short window and recovered by one
// operation in priority order. Samples live in memory: a restarted broker
// detects afresh (its unfinished operations resume from their records).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/core/scheduler.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/store/store.h"
#include "broker/orchestrator/triggers/trigger.h"
#include "broker/qos/probe_schedule.h"

namespace icb {

// What a detection asks for (the orchestrator implements it).
class RecoveryStarter {
 public:
  virtual ~RecoveryStarter() = default;
  // Recovers `workloads` that `provider` took down together, the first of
  // them detected at `detected_at`; returns those it could not start for
  // now (another operation runs for them).
  virtual Result<std::vector<std::string>> StartRecovery(const std::string& provider, const std::vector<std::string>& workloads,
                                                         std::optional<TimePoint> detected_at = std::nullopt) = 0;
  // Where workloads' status is kept.
  virtual Store& store() = 0;
};

struct DetectorOptions {
  std::string vantage = "local";  // this broker's name for its own probes
  Millis follow_every{1000};      // how soon a new or moved workload is watched
  // Workloads with the same interval probe in the same round, spread over
  // this much of it (by their names' hash): those one provider takes down
  // are detected together, and a thousand watched workloads are not a
  // thousand connections at one instant.
  Millis probe_spread{200};
  // Detections of one provider's workloads close together are one disaster,
  // recovered together in priority order: the group gathers until no new
  // detection came for `group_quiet`, and for at most `group_max` after its
  // first. Workloads with the same interval probe on a shared grid, so
  // theirs fall in the same round; the quiet time covers how long a round's
  // probes take to land (hundreds at once), the cap bounds what the first
  // detected waits. A group split in two would let a later priority-1
  // workload start after earlier priority-5 ones had switched.
  Millis group_quiet{500};
  Millis group_max{2000};
  // A vantage whose latest sample is older than this many intervals has
  // stopped reporting and no longer votes.
  int stale_intervals = 5;
};

class Detector {
 public:
  Detector(Scheduler& scheduler, const Clock& clock, AsyncProbeRunner& probes, WorkloadCache& workloads, const TriggerPolicy& policy,
           RecoveryStarter& orchestrator, DetectorOptions options);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Registers the follow and group tasks and the probe schedule (its probes
  // follow the workloads).
  void Start();
  void Stop();

  // Samples of `workload`'s serving address from another vantage. NotFound
  // when it is not watched (not automatic, or not placed yet).
  Status Push(const std::string& workload, const std::string& vantage, std::vector<VantageSample> samples);

  // For tests on a manual clock: one pass of following the workloads.
  void Follow();
  bool Failed(const std::string& workload) const;
  // How the detection probes kept time since the last call (zeros when
  // stopped).
  ProbeScheduleStats TakeProbeStats();

 private:
  struct Watch {
    std::shared_ptr<const Workload> workload;  // the parsed document's, shared
    std::string provider, url;
    SamplesByVantage samples;
    bool failed = false;
  };
  struct Group {
    MonoTime opened;    // its first detection
    TimePoint detected_at;  // the same, on the wall clock
    MonoTime deadline;  // when it starts unless another detection comes
    std::vector<std::string> workloads;
  };
  // Follow's parts: the automatic workloads of a newly read set, then where
  // they run and the watches and probes to match.
  void ReadWorkloads(const WorkloadSet& set);
  void FollowPlacements(bool workloads_changed);
  void Answered(std::vector<ProbeAnswer> answers);
  // Under mu_: asks the policy and acts on its verdict.
  void EvaluateLocked(const std::string& id, Watch& w);
  std::optional<MonoTime> StartGroups();
  // Under mu_: `workload` joins `provider`'s gathering group.
  void JoinGroupLocked(const std::string& provider, const std::string& workload, MonoTime now);

  Scheduler& scheduler_;
  const Clock& clock_;
  AsyncProbeRunner& probes_;
  WorkloadCache& workloads_;
  const TriggerPolicy& policy_;
  RecoveryStarter& orchestrator_;
  DetectorOptions options_;
  AuditLog audit_;
  mutable std::mutex mu_;
  std::map<std::string, Watch> watches_;
  std::map<std::string, Group> groups_;  // by provider
  // From the last Follow (its thread only): the workloads failing over
  // automatically, and where each runs by its status record's version.
  std::vector<std::shared_ptr<const Workload>> automatic_;
  std::optional<long long> workloads_version_;  // the collection's version automatic_ was read at
  std::vector<std::string> status_keys_;  // of automatic_, in its order
  struct StatusSeen {
    long long version = 0;  // of the status record read
    std::string placement, url;
  };
  std::unordered_map<std::string, StatusSeen> statuses_;
  std::unique_ptr<ProbeSchedule> schedule_;  // while started
  bool started_ = false;
};

}  // namespace icb
