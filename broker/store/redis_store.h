// Store on Redis through hiredis. hiredis contexts are not thread-safe and do
// not reconnect, so RedisStore keeps a pool: each call borrows a connection,
// every call has a timeout, and a broken connection is dropped and redialled
// with exponential backoff on the next borrow.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "broker/core/metrics.h"
#include "broker/store/store.h"

namespace icb {

struct RedisEndpoint {
  std::string host;
  int port = 0;
};

struct RedisAddress {
  std::string unix_path;  // set for unix sockets
  std::string host;
  int port = 0;
  int db = 0;
  std::string password;
  // sentinel://: the Sentinels asked, in turn, where the master named
  // `master_name` is (host and port above are unset: they change).
  std::vector<RedisEndpoint> sentinels = {};
  std::string master_name = {};
  // cluster://: any of these names the others and which serves each slot
  // (host and port above are unset).
  std::vector<RedisEndpoint> cluster_nodes = {};
  std::string ToString() const;  // never includes the password
};

// Accepts redis://[:password@]host[:port][/db], unix:///path/to/socket[?db=N]
// sentinel://[:password@]host:port,host:port/master-name[/db] (the
// password is the master's; the Sentinels are asked without one) and
// cluster://[:password@]host:port,host:port (a Redis Cluster: database 0
// only, as the cluster serves no other).
Result<RedisAddress> ParseRedisUrl(std::string_view url);

// A Redis that stops answering (stopped, killed, unreachable) costs a
// request at most about a second: the call that finds out fails after
// command_timeout, the store is then marked down and every call answers
// Unavailable at once, while one call every probe_interval dials afresh and
// PINGs within connect_timeout; the first that answers marks it up.
struct RedisStoreOptions {
  RedisAddress address;
  int pool_size = 16;
  std::chrono::milliseconds connect_timeout{250};  // also the PING of a probe
  std::chrono::milliseconds command_timeout{750};  // each read and write on a connection
  std::chrono::milliseconds borrow_timeout{750};   // waiting for a free connection
  std::chrono::milliseconds probe_interval{250};   // while down
  // A write is acknowledged only once this many replicas have it (WAIT
  // after the write, on the same connection); fewer within
  // replica_ack_timeout answers Unavailable, though the master applied it
  // (callers' writes are idempotent or compare-and-set, so a retry is safe).
  // Why: Redis replicates asynchronously, and a write only the master had
  // is gone when Sentinel promotes a replica. With replica_acks, every read
  // on a connection may take command_timeout + replica_ack_timeout.
  int replica_acks = 0;
  std::chrono::milliseconds replica_ack_timeout{500};
  // Counted when set (broker/core/metrics.h): each round trip (one command,
  // or one pipeline), and each that failed (no connection, no answer in
  // time, or an error reply).
  Counter* round_trips = nullptr;
  Counter* errors = nullptr;
  Counter* redirections = nullptr;  // cluster://: each MOVED, ASK, TRYAGAIN or CLUSTERDOWN followed
  // cluster://: how long one call follows redirections (MOVED, ASK) and
  // waits out a slot in migration (TRYAGAIN) or a cluster without a
  // majority (CLUSTERDOWN) before it answers Unavailable.
  std::chrono::milliseconds cluster_retry_budget{2000};
};

// Replicas a write must reach before it is acknowledged, unless configured:
// one behind Sentinel (its promotion must not lose an acknowledged write),
// none on a single server.
inline int DefaultReplicaAcks(const RedisAddress& a) { return a.sentinels.empty() ? 0 : 1; }

class RedisStore;
std::unique_ptr<Store> NewRedisStore(RedisStoreOptions options);

}  // namespace icb
