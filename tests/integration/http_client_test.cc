// The cpprestsdk client behind the HttpClient port, against a real server on
// loopback.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "broker/core/http_client.h"
#include "tests/support/http_stub.h"

namespace icb {
namespace {

int ProcessThreads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  return -1;
}

// The broker sets the I/O pool's size at start (main.cc); cpprestsdk's own
// default starts 40 threads on the first request.
TEST(HttpClient, TheIoPoolHasTheThreadsItWasGivenAndIsSetOnce) {
  testing::StubHttpServer server;
  server.Answer(200, "fine");
  const int before = ProcessThreads();
  ASSERT_TRUE(SetHttpClientIoThreads(3));
  auto http = NewCpprestHttpClient();
  for (int i = 0; i < 20; ++i) {
    auto answer = http->Get(server.url(), Millis(10000));
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
