// A tiny HTTP server on 127.0.0.1 (port 0) whose answer tests can change.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace icb::testing {

class StubHttpServer {
 public:
  // On `address` (a loopback one: 127.0.0.2 is another address the same
  // machine answers on), a free port.
  explicit StubHttpServer(const char* address = "127.0.0.1") : address_(address) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, address, &a.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 64);
    thread_ = std::thread([this] { Loop(); });
  }
  ~StubHttpServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/health") const { return "http://" + address_ + ":" + std::to_string(port_) + path; }
  void Answer(int status, std::string body, std::string extra_headers = "") {
    std::lock_guard lock(mu_);
    status_ = status;
    body_ = std::move(body);
    extra_headers_ = std::move(extra_headers);
  }
  int requests() const { return requests_.load(); }
  // Connections accepted, whether or not a request followed.
  int connections() const { return connections_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;  // wakes to notice stop_
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string resp;
      {
        std::lock_guard lock(mu_);
        resp = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body_.size()) +
               "\r\nConnection: close\r\n" + extra_headers_ + "\r\n" + body_;
      }
      send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ++requests_;
      close(c);
    }
  }

  std::string address_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  int status_ = 200;
  std::string body_ = "healthy";
  std::string extra_headers_;  // each line ending in \r\n
};

}  // namespace icb::testing
