// A private redis-server for one data directory, started and supervised by
// the broker (and by integration tests, which need a real Redis).
//
// Safety for the data directory:
//  - an exclusive flock on DIR/icbroker.lock: a second broker on the same
//    directory is refused with the holder's pid;
//  - a redis-server left running by a broker that crashed (its pid is in
//    DIR/redis.pid) is shut down cleanly - its AOF is complete, since every
//    acknowledged write was fsynced - before a fresh one starts on the same AOF.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "broker/core/status.h"
#include "broker/store/redis_store.h"

namespace icb {

struct EmbeddedRedisOptions {
  std::string data_dir;
  std::string redis_server = "redis-server";  // looked up on PATH
  std::string appendfsync = "always";         // always | everysec | no
  int tcp_port = 0;                           // 0: unix socket only
  std::chrono::milliseconds ready_timeout{30000};
};

class EmbeddedRedis {
 public:
  // `on_restart` is told (from the supervising thread) each time a
  // redis-server that exited unasked is started again: "redis-server pid N
  // (restarted: the last one was killed by signal 9)".
  using OnRestart = std::function<void(const std::string&)>;
  static Result<std::unique_ptr<EmbeddedRedis>> Start(EmbeddedRedisOptions options, OnRestart on_restart = {});
  ~EmbeddedRedis();  // Stop()
  EmbeddedRedis(const EmbeddedRedis&) = delete;
  EmbeddedRedis& operator=(const EmbeddedRedis&) = delete;

  const RedisAddress& address() const;
  pid_t pid() const;
  int restarts() const;
  // Graceful shutdown (SIGTERM, then SIGKILL after 10 s); releases the lock.
  Status Stop();

  struct State;

 private:
  explicit EmbeddedRedis(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace icb
