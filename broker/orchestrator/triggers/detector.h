// Detection: the broker probes each automatic workload's serving address at
// its failover.interval_s from its own vantage, takes samples other
// vantages push, and asks the trigger policy after each one. A failure is
// recorded once (a `detected` event naming the workload and the provider,
// with the samples per vantage that made it); workloads a provider takes
// down together are gathered for a short window and recovered by one
// operation in priority order.
//
// Several brokers on one store share the watching (DetectorOptions::
// replicas): each probes only the workloads it owns. The samples of each
// workload are written through to the store after every batch of answers
// (DetectionState), so the broker that takes a workload over, because its
// owner died or it restarted, goes on from the samples there instead of
// detecting afresh; samples another vantage pushes to a broker that does
// not own the workload are stored for its owner, which merges them within
// one follow pass. A broker that does not lead hands each detection to the
// leader through the store (icb:detections); the leader gathers them into
// its groups with its own.
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
#include "broker/store/replica_set.h"
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
  // Whether this broker runs the operations now (holds the lease). With
  // several brokers, only it starts recoveries: the others hand their
  // detections to it through the store, so that one provider's disaster is
  // one recovery in priority order, not one per broker.
  virtual bool Leads() const { return true; }
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
  // Set: this broker probes only the workloads it owns among the brokers
  // sharing the store; null: all of them (one broker).
  const ReplicaSet* replicas = nullptr;
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
  // when it is not watched (not automatic, or not placed yet); with
  // replicas, one another broker watches gets them through the store.
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
  // Leader: removes the stored detection state of workloads no longer
  // automatic (deleted, or switched off).
  void SweepGone();
  void FollowPlacements(bool workloads_changed);
  void Answered(std::vector<ProbeAnswer> answers);
  // Under mu_: asks the policy and acts on its verdict.
  void EvaluateLocked(const std::string& id, Watch& w);
  // The store's samples of workloads this broker starts watching (another
  // owned them, or this one restarted), and the pushed ones of those it
  // watches, merged into their watches.
  void LoadStored(const std::vector<std::string>& ids);
  void MergePushed();
  // Writes `vantage`'s series of the watches `ids` through to the store.
  void Persist(const std::vector<std::string>& ids, const std::string& vantage);
  Status PushForOwner(const std::string& workload, const std::string& vantage, std::vector<VantageSample> samples);
  std::optional<MonoTime> StartGroups();
  // The leader: detections other brokers handed over join the groups.
  void GatherHandedOver(MonoTime now);
  // A broker that does not lead: its due groups go to the leader.
  void HandOver(const std::string& provider, const std::vector<std::string>& workloads, TimePoint detected_at);
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
  std::optional<MonoTime> swept_at_;
  std::optional<long long> workloads_version_;  // the collection's version automatic_ was read at
  std::vector<std::string> status_keys_;  // of automatic_, in its order
  struct StatusSeen {
    long long version = 0;  // of the status record read
    std::string placement, url;
  };
  std::unordered_map<std::string, StatusSeen> statuses_;
  std::vector<std::string> owners_;  // the brokers sharing the watching, as of the last Follow
  std::unordered_map<std::string, long long> pushed_seen_;  // per watched workload: its pushed counter last merged
  std::unique_ptr<ProbeSchedule> schedule_;  // while started
  bool started_ = false;
};

}  // namespace icb
