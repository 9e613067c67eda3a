// Store on Redis through hiredis. hiredis contexts are not thread-safe and do
// not reconnect, so RedisStore keeps a pool: each call borrows a connection,
// every call has a timeout, and a broken connection is dropped and redialled
// with exponential backoff on the next borrow.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "broker/core/metrics.h"
#include "broker/store/store.h"

namespace icb {

struct RedisAddress {
  std::string unix_path;  // set for unix sockets
  std::string host;
  int port = 0;
  int db = 0;
  std::string password;
  std::string ToString() const;  // never includes the password
};

// Accepts redis://[:password@]host[:port][/db] and unix:///path/to/socket[?db=N].
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
  // Counted when set (broker/core/metrics.h): each round trip (one command,
  // or one pipeline), and each that failed (no connection, no answer in
  // time, or an error reply).
  Counter* round_trips = nullptr;
  Counter* errors = nullptr;
};

class RedisStore;
std::unique_ptr<Store> NewRedisStore(RedisStoreOptions options);

}  // namespace icb
