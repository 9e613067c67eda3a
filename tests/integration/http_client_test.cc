// The cpprestsdk client behind the HttpClient port, against a real server on
// loopback (HAProxy answering itself).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "broker/core/http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

// This process's thread ids.
std::set<std::string> ThreadIds() {
  std::set<std::string> ids;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ids.insert(task.path().filename().string());
  return ids;
}

// Whether thread `tid` blocks `sig` (its SigBlk mask in /proc).
bool Blocks(const std::string& tid, int sig) {
  std::ifstream status("/proc/self/task/" + tid + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("SigBlk:")) return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
  return false;
}

int ProcessThreads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  return -1;
}

// The broker sets the I/O pool's size at start (main.cc); cpprestsdk's own
// default starts 40 threads on the first request.
TEST(HttpClient, TheIoPoolHasTheThreadsItWasGivenAndIsSetOnce) {
  testing::TempDir dir;
  const int port = testing::FreeTcpPort();
  std::ofstream(dir.path() + "/haproxy.cfg") << "defaults\n  mode http\n  timeout client 30s\n  timeout connect 5s\n  timeout server 30s\n"
                                             << "frontend answer\n  bind 127.0.0.1:" << port << "\n"
                                             << "  http-request return status 200 content-type text/plain string fine\n";
  testing::ChildProcess server({"haproxy", "-db", "-f", dir.path() + "/haproxy.cfg"}, dir.path() + "/haproxy.log", port);
  ASSERT_TRUE(server.ready()) << server.Log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const int before = ProcessThreads();
  const auto ids_before = ThreadIds();
  ASSERT_TRUE(SetHttpClientIoThreads(3));
  // Its threads leave SIGTERM and SIGINT to the thread that waits for them
  // (serve's sigwait): one taking it would end the process uncleanly.
  int started = 0;
  for (const auto& tid : ThreadIds()) {
    if (ids_before.count(tid)) continue;
    ++started;
    EXPECT_TRUE(Blocks(tid, SIGTERM)) << "thread " << tid;
    EXPECT_TRUE(Blocks(tid, SIGINT)) << "thread " << tid;
  }
  EXPECT_GE(started, 3);
  EXPECT_FALSE(Blocks(std::to_string(gettid()), SIGTERM));  // the caller's mask is as it was
  auto http = NewCpprestHttpClient();
  for (int i = 0; i < 20; ++i) {
    auto answer = http->Get(url, Millis(10000));
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "fine");
  }
  // Its 3, and the one Boost.Asio starts for name resolution.
  EXPECT_LE(ProcessThreads() - before, 4) << before << " before";
  EXPECT_FALSE(SetHttpClientIoThreads(8));  // started: unchanged
}

}  // namespace
}  // namespace icb
