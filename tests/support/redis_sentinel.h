// A Redis served as production runs it behind Sentinel: one master, one
// replica and three Sentinels on loopback (quorum 2), both servers with
// appendfsync always. Tests promote the replica (SENTINEL FAILOVER, or the
// master's SIGKILL) and check what the broker's store makes of it.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace icb::testing {

class RedisWithSentinels {
 public:
  static constexpr const char* kMasterName = "icb";

  // Starts all five in `dir`; ready() says whether they came up and know
  // each other (the replica in sync, every Sentinel sees it and the others).
  explicit RedisWithSentinels(const std::string& dir);
  ~RedisWithSentinels();
  bool ready() const { return ready_; }

  // sentinel://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C/icb
  std::string Url() const;
  // The master's port as the first Sentinel that answers names it; 0: none.
  int MasterPort() const;
  // The other server's port.
  int OtherPort(int port) const { return port == servers_[0].port ? servers_[1].port : servers_[0].port; }
  // Asks a Sentinel to promote the replica now (SENTINEL FAILOVER).
  bool Failover() const;
  // Every Sentinel names `master_port` the master, and that server has a
  // replica in sync (online): a write can be acknowledged by WAIT 1 again.
  bool SettledOn(int master_port) const;
  // Every live Sentinel names `master_port` the master (waits up to 60 s).
  bool AllSentinelsName(int master_port) const;
  // A crash of the server on `port`, and its restart on its own data.
  void Kill(int port);
  bool Restart(int port);
  // SIGSTOP / SIGCONT to the server on `port` (it answers nothing meanwhile).
  void Pause(int port, bool paused);

  // One command to the server on `port`; its reply flattened to text
  // (an array's elements one per line), or "ERR: ..." / "" when none.
  static std::string Ask(int port, const std::vector<std::string>& args);
  std::string Logs() const;

 private:
  struct Server {
    int port = 0;
    std::vector<std::string> argv;
    std::string log;
    std::unique_ptr<ChildProcess> process;
  };
  std::string dir_;
  std::array<Server, 2> servers_;
  std::array<Server, 3> sentinels_;
  bool ready_ = false;
};

}  // namespace icb::testing
