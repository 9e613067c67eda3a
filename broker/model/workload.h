// A workload (docs/architecture.md, "Wire names"): a customer's service
// the broker keeps running somewhere, typed from its validated document.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/core/clock.h"
#include "broker/core/network_policy.h"
#include "broker/core/status.h"
#include "broker/model/documents.h"

namespace icb {

enum class RecoveryClass { kFast, kQuality };

struct FailoverSettings {
  bool automatic = true;
  Millis interval{1000};
  int failures = 3;
  int recoveries = 2;
  std::optional<int> quorum;  // unset: a majority of the vantages that reported
};

struct Workload {
  std::string id;
  std::string name;
  int priority = 1;  // 1 recovers first
  RecoveryClass recovery_class = RecoveryClass::kFast;
  std::string profile_id;          // or an inline profile
  // An inline profile, rare: held apart, so a workload naming a stored one
  // (most do) carries no room for one (a Profile is about a kilobyte, and
  // ten thousand workloads are held parsed).
  std::shared_ptr<const Profile> profile;
  std::vector<std::string> candidates;  // empty: every provider
  std::string placement;                // provider id
  std::optional<TimePoint> placed_since;
  std::string service;
  int instances = 1;
  struct Dns {
    std::string provider, name;
    int ttl_s = 30;
  } dns;
  struct Split {
    std::string provider;
    std::map<std::string, std::string> servers;  // provider id -> server name
  };
  std::optional<Split> split;
  struct DataSet {
    std::string name, prefix;
  };
  std::vector<DataSet> data;
  std::optional<double> rto_s, rpo_s;
  FailoverSettings failover;
  struct Replication {
    std::string to;  // provider id or "auto"
    std::optional<double> interval_s;
  };
  std::optional<Replication> replication;
  // Burst offload: instances borrowed at a secondary and a share of the
  // split sent there while load is high.
  struct Burst {
    std::optional<double> p95_ms_above;       // unset: the placement's SLA p95 target
    std::optional<double> utilization_above;  // percent
    double window_s = 60;
    double share_percent = 50;
    double cooldown_s = 300;  // as Kubernetes HPA and EC2 Auto Scaling
  };
  std::optional<Burst> burst;
  // A group of users served from a provider near them when their latency,
  // measured from their vantage, degrades (seed 003's users far from the
  // serving site). No client network is in two audiences.
  struct Audience {
    std::string id;
    std::vector<IpNetwork> networks;
    std::string vantage;
    double p95_ms = 0;
    double window_s = 300;
    double cooldown_s = 300;
    std::vector<std::string> candidates;  // empty: the workload's
  };
  std::vector<Audience> audiences;
};

// From a document that passed schemas/workload.json.
Result<Workload> WorkloadFromJson(const nlohmann::json& doc);

// The fields the broker sets and a PUT ignores.
inline constexpr const char* kWorkloadReadOnly[] = {"state", "replica", "operation", "audience_placements"};

}  // namespace icb
