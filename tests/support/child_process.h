// A lab server run as a child process for one test: started in its own
// process group with output to a log file, ready once its TCP port accepts,
// and stopped (SIGTERM, then SIGKILL) with everything it spawned.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace icb::testing {

class ChildProcess {
 public:
  // argv[0] is looked up in PATH. Waits up to `ready_ms` for 127.0.0.1:port.
  ChildProcess(std::vector<std::string> argv, const std::string& log_path, int port, int ready_ms = 20000);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool ready() const { return ready_; }
  int pid() const { return pid_; }
  std::string Log() const;
  // SIGKILL to the process and all it spawned (a crash: nothing shuts down
  // cleanly); reaped before this returns.
  void Kill();

 private:
  int pid_ = -1;
  bool ready_ = false;
  std::string log_path_;
};

// Runs a shell command; its exit code and combined output.
std::pair<int, std::string> RunShell(const std::string& command);

// Where the lab's npm packages live (deploy/lab/node_modules/.bin).
std::string LabBin(const std::string& name);

}  // namespace icb::testing
