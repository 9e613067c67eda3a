// A minimal blocking HTTP/1.1 client for tests (one request per connection).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/crypto.h"

namespace icb::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused or reset)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Every answer HttpCall received, for the contract test (tests/e2e/contract_test.cc).
struct RecordedAnswer {
  std::string method, path;
  HttpReply reply;
};
inline std::vector<RecordedAnswer>& RecordedAnswers() {
  static std::vector<RecordedAnswer> all;
  return all;
}

// With ICB_E2E_ANSWERS set (ctest sets it for the e2e tests), every answer
// is also appended to that file as a line (bytes in base64), for the
// contract test, which runs in a process of its own after them. One locked
// write per line, so tests that run side by side do not interleave.
inline void AppendToAnswersFile(const RecordedAnswer& a) {
  const char* path = std::getenv("ICB_E2E_ANSWERS");
  if (!path || !*path) return;
  nlohmann::json headers = nlohmann::json::object();
  for (const char* h : {"content-type", "content-encoding"})
    if (a.reply.headers.count(h)) headers[h] = Base64(a.reply.headers.at(h));
  const std::string line = nlohmann::json{{"method", a.method}, {"path", Base64(a.path)}, {"status", a.reply.status},
                                          {"headers", headers}, {"body", Base64(a.reply.body)}}.dump() + "\n";
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  flock(fd, LOCK_EX);
  for (size_t done = 0; done < line.size();) {
    ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  flock(fd, LOCK_UN);
  close(fd);
}

// The answers recorded in ICB_E2E_ANSWERS, in the order they were appended.
inline std::vector<RecordedAnswer> AnswersFromFile(const std::string& path) {
  std::vector<RecordedAnswer> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    RecordedAnswer a;
    a.method = j.value("method", "");
    (void)Base64Decode(j.value("path", ""), a.path);
    a.reply.status = j.value("status", 0);
    for (const auto& [name, value] : j["headers"].items()) (void)Base64Decode(value.get<std::string>(), a.reply.headers[name]);
    (void)Base64Decode(j.value("body", ""), a.reply.body);
    out.push_back(std::move(a));
  }
  return out;
}

inline HttpReply HttpCall(int port, const std::string& method, const std::string& path, const std::string& body = "",
                          const std::string& content_type = "application/json", const std::string& extra_headers = "") {
  HttpReply reply;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return reply;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
  if (!content_type.empty() && (method == "PUT" || method == "POST")) req += "Content-Type: " + content_type + "\r\n";
  if (method == "PUT" || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  bool streaming = false;
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
    raw.append(buf, static_cast<size_t>(n));
    // An event stream (GET /v1/events/stream) does not end: what it sends
    // at once (the backlog a Last-Event-ID asks for) is its answer, read
    // until it has been quiet for 2 s (its heartbeats are 15 s apart).
    if (!streaming && raw.find("\r\n\r\n") != std::string::npos && raw.find("Content-Type: text/event-stream") < raw.find("\r\n\r\n")) {
      streaming = true;
      timeval quiet{2, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
    }
  }
  close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    reply.headers[name] = value;
    pos = eol + 2;
  }
  std::string rest = raw.substr(head_end + 4);
  if (reply.headers["transfer-encoding"] == "chunked") {
    size_t p = 0;
    for (;;) {
      size_t eol = rest.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t len = std::stoul(rest.substr(p, eol - p), nullptr, 16);
      if (len == 0) break;
      reply.body += rest.substr(eol + 2, len);
      p = eol + 2 + len + 2;
    }
  } else {
    reply.body = rest;
  }
  RecordedAnswers().push_back({method, path, reply});
  AppendToAnswersFile(RecordedAnswers().back());
  return reply;
}

}  // namespace icb::testing
