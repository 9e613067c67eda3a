#include "broker/qos/prober.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace icb {

std::vector<ProbeTarget> ProbeTargets(const CatalogSnapshot& catalog) {
  std::vector<ProbeTarget> out;
  for (const auto& e : catalog.providers)
    for (const auto& ep : e.provider.endpoints)
      if (ep.probe.enabled) out.push_back({e.provider.id, ep.id, ep.url, ep.probe, ""});
  return out;
}

namespace {

// Connects to host:port within the timeout, to addresses `network` allows
// (when given; one denied address refuses the name). Unavailable,
// PermissionDenied or DeadlineExceeded.
Status TcpConnect(const std::string& hostport, Millis timeout, const NetworkPolicy* network) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("tcp:// needs host:port");
  std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return Unavailable("cannot resolve " + host);
  if (network)
    for (addrinfo* a = res; a; a = a->ai_next) {
      auto ip = IpAddress::FromSockaddr(a->ai_addr);
      Status allowed = ip ? network->Check(*ip) : PermissionDenied("not an IP address");
      if (!allowed.ok()) {
        freeaddrinfo(res);
        return allowed;
      }
    }
  Status result = Unavailable("connection refused");
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        close(fd);
        result = Status(StatusCode::kDeadlineExceeded, "connect timed out");
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
    }
    close(fd);
    if (rc == 0) {
      result = Status::Ok();
      break;
    }
  }
  freeaddrinfo(res);
  return result;
}

}  // namespace

QosSample FailedProbe(const ProbeTarget& t, ProbeError error) {
  QosSample s;
  s.provider = t.provider;
  s.endpoint = t.endpoint;
  s.interval = t.settings.interval;
  s.ok = false;
  s.error = error;
  return s;
}

QosSample JudgeHttpAnswer(const ProbeTarget& t, int status, std::string_view body, double latency_ms) {
  // 10.e: the timeout bounds the whole exchange, body included.
  QosSample s = FailedProbe(t, ProbeError::kNone);
  s.status = status;
  if (latency_ms > static_cast<double>(t.settings.timeout.count())) {
    s.error = ProbeError::kTimeout;
    return s;
  }
  const auto& want = t.settings.expect_status;
  bool status_ok = want.empty() ? (status >= 200 && status <= 299) : std::find(want.begin(), want.end(), status) != want.end();
  if (!status_ok) {
    s.error = ProbeError::kStatus;
    return s;
  }
  if (!t.settings.expect_body.empty() && body.find(t.settings.expect_body) == std::string_view::npos) {
    s.error = ProbeError::kBody;
    return s;
  }
  s.ok = true;
  s.latency_ms = latency_ms;
  return s;
}

QosSample NetworkProbeRunner::Run(const ProbeTarget& t) {
  auto started = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(); };
  auto no_answer = [&](const Status& s) {
    return FailedProbe(t, s.code() == StatusCode::kDeadlineExceeded ? ProbeError::kTimeout : ProbeError::kConnect);
  };
  if (t.url.rfind("tcp://", 0) == 0) {
    Status c = TcpConnect(t.url.substr(6), t.settings.timeout, network_);
    if (!c.ok()) return no_answer(c);
    QosSample s = FailedProbe(t, ProbeError::kNone);
    s.ok = true;
    s.latency_ms = elapsed_ms();
    return s;
  }
  auto r = http_.Get(t.url, t.settings.timeout);
  if (!r.ok()) return no_answer(r.status());
  return JudgeHttpAnswer(t, r->status, r->body, elapsed_ms());
}

}  // namespace icb
