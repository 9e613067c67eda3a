// The icbroker binary as a child process (serve on a free loopback port),
// for tests that kill it and start it again.
#pragma once

#include <algorithm>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace icb::testing {

// `icbroker serve ARGS` on a free loopback port, its standard error
// appended to `log`. Start() returns once /v1/health answers (with
// --tls-cert: once it logs that it listens; false when the process ended
// first, its exit status kept); it may be killed and started again on a
// new port.
class BrokerProcess {
 public:
  BrokerProcess(std::vector<std::string> args, std::string log) : args_(std::move(args)), log_(std::move(log)) {}
  ~BrokerProcess() { Kill(SIGTERM); }
  // The descriptor limit (soft and hard) the broker runs under; 0 keeps ours.
  void set_nofile(rlim_t nofile) { nofile_ = nofile; }

  bool Start() {
    port_ = FreeTcpPort();
    std::vector<std::string> argv = {ICBROKER_BIN, "serve", "--listen", "127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    // On loopback, without keys unless the test asks for them (--auth keys).
    if (std::find(args_.begin(), args_.end(), "--auth") == args_.end()) argv.insert(argv.end(), {"--auth", "off"});
    // Its providers and workloads are on loopback, like the lab's, unless the test says otherwise.
    if (std::find(args_.begin(), args_.end(), "--allow-networks") == args_.end()) argv.insert(argv.end(), {"--allow-networks", "127.0.0.0/8,::1"});
    const bool tls = std::find(args_.begin(), args_.end(), "--tls-cert") != args_.end();
    const size_t logged = Log().size();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(fd, 2);
      if (nofile_ > 0) {
        rlimit rl{nofile_, nofile_};
        setrlimit(RLIMIT_NOFILE, &rl);
      }
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        pid_ = -1;
        return false;
      }
      if (tls ? Log().find("listening on https://", logged) != std::string::npos : HttpCall(port_, "GET", "/v1/health").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  // Sends `sig` and goes on (SIGHUP: the broker reads its TLS files again).
  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }
  HttpReply Call(const std::string& method, const std::string& path, const std::string& body = "", const std::string& headers = "") {
    return HttpCall(port_, method, path, body, "application/json", headers);
  }
  nlohmann::json Get(const std::string& path) { return nlohmann::json::parse(Call("GET", path).body); }
  int port() const { return port_; }
  // The last exit status (waitpid's), -1 before the process ended.
  int exit_status() const { return exit_status_; }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The embedded redis-server's pid, from the last start-up line.
  pid_t RedisPid() const {
    std::string log = Log();
    auto at = log.rfind("redis-server pid ");
    return at == std::string::npos ? -1 : static_cast<pid_t>(std::stol(log.substr(at + 17)));
  }

 private:
  std::vector<std::string> args_;
  std::string log_;
  rlim_t nofile_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace icb::testing
