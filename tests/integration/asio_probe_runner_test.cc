// Probes on the event loop against a real HTTP server (HAProxy answering
// on loopback): judged answers, keep-alive connections reused (HAProxy's
// own connection count), a connection the server closed while idle retried,
// a thousand probes at once on one thread over a bounded set of
// connections, an origin that hangs failing its waiting probes at their
// timeouts without holding up another, refused, silent and unsupported
// targets.
#include "broker/qos/asio_probe_runner.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/eventually.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using std::chrono::milliseconds;

// HAProxy answering itself: /health 200 "healthy", /down 503; the second
// port closes idle keep-alive connections after 50 ms; the third speaks
// TLS with a self-signed certificate for 127.0.0.1 (its own CA).
class ProbeTargetServer {
 public:
  ProbeTargetServer() : port_(testing::FreeTcpPort()), short_port_(testing::FreeTcpPort()), tls_port_(testing::FreeTcpPort()) {
    auto [rc, out] = testing::RunShell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=probe-target -addext subjectAltName=IP:127.0.0.1 -keyout " +
                                       dir_.path() + "/key.pem -out " + cert_path() + " 2>&1 && cat " + dir_.path() + "/key.pem >> " + dir_.path() +
                                       "/haproxy.pem && cat " + cert_path() + " >> " + dir_.path() + "/haproxy.pem");
    EXPECT_EQ(rc, 0) << out;
    const std::string cfg = dir_.path() + "/haproxy.cfg";
    std::ofstream(cfg) << "global\n  stats socket " << socket_path() << " mode 600 level admin\n"
                       << "defaults\n  mode http\n  timeout client 30s\n  timeout connect 5s\n  timeout server 30s\n"
                       << "  timeout http-keep-alive 30s\n"
                       << "frontend probes\n  bind 127.0.0.1:" << port_ << "\n"
                       << "  http-request return status 503 content-type text/plain string down if { path /down }\n"
                       << "  http-request return status 200 content-type text/plain string healthy\n"
                       << "frontend short\n  bind 127.0.0.1:" << short_port_ << "\n  timeout http-keep-alive 50ms\n"
                       << "  http-request return status 200 content-type text/plain string healthy\n"
                       << "frontend tls\n  bind 127.0.0.1:" << tls_port_ << " ssl crt " << dir_.path() << "/haproxy.pem\n"
                       << "  http-request return status 200 content-type text/plain string healthy\n";
    server_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{"haproxy", "-db", "-f", cfg}, dir_.path() + "/haproxy.log", port_);
  }
  // Its stats socket may answer a moment after its port does.
  bool ready() const {
    return server_->ready() && testing::Eventually([&] { return Stat("probes", "conn_tot") >= 0; }, std::chrono::seconds(20));
  }
  std::string Log() const { return server_->Log(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string short_url() const { return "http://127.0.0.1:" + std::to_string(short_port_) + "/health"; }
  std::string tls_url(const std::string& host = "127.0.0.1") const { return "https://" + host + ":" + std::to_string(tls_port_) + "/health"; }
  std::string cert_path() const { return dir_.path() + "/cert.pem"; }
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  std::string socket_path() const { return dir_.path() + "/haproxy.sock"; }

  // A command on the runtime socket; its answer ("" when unreachable).
  std::string Ask(const std::string& command) const {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_path().c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return "";
    }
    const std::string line = command + "\n";
    (void)send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }
  // A frontend's counter from "show stat" (conn_tot: connections accepted,
  // scur: open now); -1 when unreadable.
  long Stat(const std::string& frontend, const std::string& field) const {
    std::istringstream csv(Ask("show stat"));
    std::string header, row;
    std::getline(csv, header);
    if (header.find_first_not_of("# ") == std::string::npos) return -1;  // the stats socket did not answer (yet)
    auto split = [](const std::string& line) {
      std::vector<std::string> out;
      std::stringstream ss(line);
      for (std::string f; std::getline(ss, f, ',');) out.push_back(f);
      return out;
    };
    const auto names = split(header.substr(header.find_first_not_of("# ")));
    const auto at = std::find(names.begin(), names.end(), field);
    while (std::getline(csv, row)) {
      auto cells = split(row);
      if (cells.size() > 1 && cells[0] == frontend && cells[1] == "FRONTEND" && at != names.end() &&
          static_cast<size_t>(at - names.begin()) < cells.size())
        return std::atol(cells[static_cast<size_t>(at - names.begin())].c_str());
    }
    return -1;
  }

 private:
  testing::TempDir dir_;
  int port_, short_port_, tls_port_;
  std::unique_ptr<testing::ChildProcess> server_;
};

ProbeTarget Target(const std::string& url, int timeout_ms = 2000) {
  ProbeTarget t;
  t.provider = "lab";
  t.endpoint = "web";
  t.url = url;
  t.settings.timeout = milliseconds(timeout_ms);
  return t;
}

// One probe, waited for (a generous deadline bounds a failing test only).
QosSample ProbeAndWait(AsyncProbeRunner& runner, const ProbeTarget& t) {
  auto answer = std::make_shared<std::promise<QosSample>>();
  auto future = answer->get_future();
  runner.Start(std::make_shared<const ProbeTarget>(t), [answer](QosSample s) { answer->set_value(std::move(s)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer for " << t.url;
    return {};
  }
  return future.get();
}

class AsioProbeRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ProbeTargetServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ready()) << server_->Log(); }
  static ProbeTargetServer* server_;
};
ProbeTargetServer* AsioProbeRunnerTest::server_ = nullptr;

TEST_F(AsioProbeRunnerTest, AnswersAreJudgedAndOneConnectionServesEveryProbe) {
  auto runner = std::move(*NewAsioProbeRunner());
  const long before = server_->Stat("probes", "conn_tot");
  for (int i = 0; i < 20; ++i) {
    ProbeTarget t = Target(server_->url("/health"));
    t.settings.expect_body = "healthy";
    QosSample s = ProbeAndWait(*runner, t);
    EXPECT_TRUE(s.ok) << i << " " << ProbeErrorName(s.error);
    EXPECT_EQ(s.status, 200);
    ASSERT_TRUE(s.latency_ms.has_value());
    EXPECT_GT(*s.latency_ms, 0.0);
    EXPECT_EQ(s.provider, "lab");
    EXPECT_EQ(s.endpoint, "web");
  }
  EXPECT_EQ(server_->Stat("probes", "conn_tot") - before, 1);
  QosSample down = ProbeAndWait(*runner, Target(server_->url("/down")));
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.error, ProbeError::kStatus);
  EXPECT_EQ(down.status, 503);
  ProbeTarget listed = Target(server_->url("/down"));
  listed.settings.expect_status = {503};
  EXPECT_TRUE(ProbeAndWait(*runner, listed).ok);
  ProbeTarget wrong_body = Target(server_->url("/health"));
  wrong_body.settings.expect_body = "ready";
  QosSample body = ProbeAndWait(*runner, wrong_body);
  EXPECT_EQ(body.error, ProbeError::kBody);
  EXPECT_EQ(body.status, 200);
}

TEST_F(AsioProbeRunnerTest, AConnectionTheServerClosedWhileIdleIsRetriedOnAFreshOne) {
  auto runner = std::move(*NewAsioProbeRunner());
  const long before = server_->Stat("short", "conn_tot");
  ASSERT_TRUE(ProbeAndWait(*runner, Target(server_->short_url())).ok);
  // HAProxy closes it after 50 ms idle; then the probe reuses it, finds it
  // closed, and asks again on a new one.
  ASSERT_TRUE(testing::Eventually([&] { return server_->Stat("short", "scur") == 0; }));
  QosSample again = ProbeAndWait(*runner, Target(server_->short_url()));
  EXPECT_TRUE(again.ok) << ProbeErrorName(again.error);
  EXPECT_EQ(server_->Stat("short", "conn_tot") - before, 2);
}

TEST_F(AsioProbeRunnerTest, AThousandProbesAtOnceShareTheOriginsConnections) {
  AsioProbeOptions options;
  options.idle_per_origin = 64;
  options.connections_per_origin = 64;
  auto runner = std::move(*NewAsioProbeRunner(options));
  const long before = server_->Stat("probes", "conn_tot");
  std::atomic<int> ok{0}, answered{0};
  for (int i = 0; i < 1000; ++i)
    runner->Start(std::make_shared<const ProbeTarget>(Target(server_->url("/health"), 30'000)), [&](QosSample s) {
      if (s.ok) ++ok;
      ++answered;
    });
  ASSERT_TRUE(testing::Eventually([&] { return answered.load() == 1000; }));
  EXPECT_EQ(ok.load(), 1000);
  // Never more than 64 at once, each kept alive for the next probe.
  const long opened = server_->Stat("probes", "conn_tot") - before;
  EXPECT_GE(opened, 1);
  EXPECT_LE(opened, 64);
}

// A listener that completes handshakes (accepting them, counted) and never
// answers.
class HangingOrigin {
 public:
  HangingOrigin() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    EXPECT_EQ(listen(fd_, 64), 0);
    accepter_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        if (int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC); c >= 0) {
          accepted_.push_back(c);
          ++count_;
        }
      }
    });
  }
  ~HangingOrigin() {
    stop_ = true;
    accepter_.join();
    for (int c : accepted_) close(c);
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int accepted() const { return count_; }

 private:
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::vector<int> accepted_;  // the accepting thread's
  std::thread accepter_;
};

TEST_F(AsioProbeRunnerTest, AnOriginThatHangsFailsItsWaitingProbesAtTheirTimeoutAndHoldsUpNoOther) {
  HangingOrigin hanging;
  AsioProbeOptions options;
  options.connections_per_origin = 2;
  auto runner = std::move(*NewAsioProbeRunner(options));
  std::mutex mu;
  std::vector<QosSample> holding, waited;
  auto start = [&](int timeout_ms, std::vector<QosSample>& into) {
    runner->Start(std::make_shared<const ProbeTarget>(Target(hanging.url(), timeout_ms)), [&mu, &into](QosSample s) {
      std::lock_guard lock(mu);
      into.push_back(std::move(s));
    });
  };
  // Two hold the origin's slots far longer than this test runs; eight wait
  // behind them with 300 ms timeouts.
  start(600'000, holding);
  start(600'000, holding);
  ASSERT_TRUE(testing::Eventually([&] { return hanging.accepted() == 2; }));
  for (int i = 0; i < 8; ++i) start(300, waited);
  // Another origin's probe is not behind them.
  QosSample answered = ProbeAndWait(*runner, Target(server_->url("/health"), 30'000));
  EXPECT_TRUE(answered.ok) << ProbeErrorName(answered.error);
  // The eight fail at their own timeout, never given a connection; the two
  // still hang.
  ASSERT_TRUE(testing::Eventually([&] {
    std::lock_guard lock(mu);
    return waited.size() == 8;
  }));
  for (const auto& s : waited) EXPECT_EQ(s.error, ProbeError::kTimeout);
  std::lock_guard lock(mu);
  EXPECT_TRUE(holding.empty());
  EXPECT_EQ(hanging.accepted(), 2);
}

TEST_F(AsioProbeRunnerTest, HttpsTargetsAreVerifiedAndTheirConnectionsKeptAlive) {
  AsioProbeOptions trusting;
  trusting.ca_file = server_->cert_path();
  auto runner = std::move(*NewAsioProbeRunner(trusting));
  const long before = server_->Stat("tls", "conn_tot");
  for (int i = 0; i < 10; ++i) {
    ProbeTarget t = Target(server_->tls_url());
    t.settings.expect_body = "healthy";
    QosSample s = ProbeAndWait(*runner, t);
    EXPECT_TRUE(s.ok) << i << " " << ProbeErrorName(s.error);
    EXPECT_EQ(s.status, 200);
  }
  EXPECT_EQ(server_->Stat("tls", "conn_tot") - before, 1);  // one handshake for ten probes
  // The certificate names 127.0.0.1, not localhost: not the server the URL names.
  EXPECT_EQ(ProbeAndWait(*runner, Target(server_->tls_url("localhost"))).error, ProbeError::kConnect);
  // Without its CA the certificate is not trusted; plain HTTP to a TLS port
  // and TLS to a plain one are no answers either.
  auto untrusting = std::move(*NewAsioProbeRunner());
  EXPECT_EQ(ProbeAndWait(*untrusting, Target(server_->tls_url())).error, ProbeError::kConnect);
  EXPECT_FALSE(ProbeAndWait(*runner, Target("http://127.0.0.1:" + std::to_string(server_->tls_port()) + "/health")).ok);
  EXPECT_EQ(ProbeAndWait(*runner, Target("https://127.0.0.1:" + std::to_string(server_->port()) + "/health")).error, ProbeError::kConnect);
  trusting.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(NewAsioProbeRunner(trusting).ok());
}

TEST_F(AsioProbeRunnerTest, TcpTargetsAreConnectedTo) {
  auto runner = std::move(*NewAsioProbeRunner());
  QosSample up = ProbeAndWait(*runner, Target("tcp://127.0.0.1:" + std::to_string(server_->port())));
  EXPECT_TRUE(up.ok);
  EXPECT_TRUE(up.latency_ms.has_value());
}

TEST(AsioProbeRunner, RefusedSilentAndUnsupportedTargetsFailAsSuch) {
  auto runner = std::move(*NewAsioProbeRunner());
  const int closed = testing::FreeTcpPort();  // nothing listens there
  EXPECT_EQ(ProbeAndWait(*runner, Target("http://127.0.0.1:" + std::to_string(closed) + "/")).error, ProbeError::kConnect);
  EXPECT_EQ(ProbeAndWait(*runner, Target("tcp://127.0.0.1:" + std::to_string(closed))).error, ProbeError::kConnect);
  // A listener that never answers: the probe's timeout ends it.
  QosSample slow = [&] {
    HangingOrigin silent;
    return ProbeAndWait(*runner, Target(silent.url(), 200));
  }();
  EXPECT_FALSE(slow.ok);
  EXPECT_EQ(slow.error, ProbeError::kTimeout);
  // Not a scheme probed, or not a URL: refused without a packet.
  EXPECT_EQ(ProbeAndWait(*runner, Target("ftp://127.0.0.1:1/")).error, ProbeError::kConnect);
  EXPECT_EQ(ProbeAndWait(*runner, Target("http://user@127.0.0.1:1/")).error, ProbeError::kConnect);
  EXPECT_EQ(ProbeAndWait(*runner, Target("http://127.0.0.1:99999999/")).error, ProbeError::kConnect);
}

}  // namespace
}  // namespace icb
