// A Redis Cluster of three masters on loopback (no replicas), each with
// appendfsync always, as `redis-cli --cluster create` sets one up: what
// cluster:// runs against in tests. Slots move while tests run, as an
// operator's resharding moves them: one slot key batch by key batch
// (MoveSlot), or many at once through redis-cli (Reshard).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/child_process.h"

namespace icb::testing {

class RedisCluster {
 public:
  // Starts the three in `dir` and joins them; ready() says whether every
  // node then reports the cluster ok with all slots served.
  explicit RedisCluster(const std::string& dir);
  ~RedisCluster();
  bool ready() const { return ready_; }

  // cluster://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C
  std::string Url() const;
  std::vector<int> Ports() const;
  // The port of the master serving `slot` now (CLUSTER SLOTS); 0: none.
  int PortOfSlot(int slot) const;
  // Moves `slot` to the master on `to`: marks it migrating and importing,
  // MIGRATEs its keys `batch` at a time (with `pause_ms` between batches,
  // so clients meet the slot half moved), then gives it to `to` on every
  // node. Returns "" or what failed.
  std::string MoveSlot(int slot, int to, int batch = 2, int pause_ms = 20) const;
  // `redis-cli --cluster reshard`: `slots` slots from the master on `from`
  // to the one on `to`. Its exit code and output.
  std::pair<int, std::string> Reshard(int from, int to, int slots) const;
  // Every node says cluster_state:ok and no slot is open (migrating or
  // importing): `redis-cli --cluster check`.
  bool Consistent() const;
  // Keys each master holds (DBSIZE), in the order of Ports().
  std::vector<long long> KeysPerNode() const;
  // Deletes every key on every node.
  void Flush() const;
  std::string Logs() const;

 private:
  std::string NodeId(int port) const;
  struct Node {
    int port = 0, bus_port = 0;
    std::string log;
    std::unique_ptr<ChildProcess> process;
  };
  std::string dir_;
  std::array<Node, 3> nodes_;
  bool ready_ = false;
};

}  // namespace icb::testing
