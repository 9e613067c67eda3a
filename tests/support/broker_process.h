// The icbroker binary as a child process (serve on a free loopback port),
// for tests that kill it and start it again.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

namespace icb::testing {

// The icbroker binary on the lab's catalog and credentials.
class BrokerProcess {
 public:
  BrokerProcess(std::vector<std::string> args, std::string log) : args_(std::move(args)), log_(std::move(log)) {}
  ~BrokerProcess() { Kill(SIGTERM); }
  bool Start() {
    port_ = FreeTcpPort();
    std::vector<std::string> argv = {ICBROKER_BIN, "serve", "--listen", "127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(fd, 2);
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    for (int i = 0; i < 3000; ++i) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (HttpCall(port_, "GET", "/v1/health").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  HttpReply Call(const std::string& method, const std::string& path, const std::string& body = "", const std::string& headers = "") {
    return HttpCall(port_, method, path, body, "application/json", headers);
  }
  nlohmann::json Get(const std::string& path) { return nlohmann::json::parse(Call("GET", path).body); }
  int port() const { return port_; }

 private:
  std::vector<std::string> args_;
  std::string log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace icb::testing
