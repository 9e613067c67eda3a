#include "adapters/haproxy/haproxy_split.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

namespace icb {

Result<std::string> HaproxyCommand(const std::string& socket_path, const std::string& command, Millis timeout) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable(std::string("haproxy: socket: ") + std::strerror(errno));
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    close(fd);
    return InvalidArgument("haproxy: runtime socket path too long");
  }
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Unavailable("haproxy: cannot reach the runtime API: " + why);
  }
  std::string line = command + "\n";
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return Unavailable("haproxy: send failed");
    }
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      close(fd);
      return Status(StatusCode::kDeadlineExceeded, "haproxy: no answer to \"" + command + "\" in time");
    }
    break;  // the API closes the connection after one command
  }
  close(fd);
  return out;
}

namespace {

class HaproxySplit final : public TrafficSplit {
 public:
  HaproxySplit(std::string socket, std::string backend, Millis timeout) : socket_(std::move(socket)), backend_(std::move(backend)), timeout_(timeout) {}

  Result<std::vector<SplitServer>> Servers() override {
    ICB_ASSIGN_OR_RETURN(std::string out, HaproxyCommand(socket_, "show servers state " + backend_, timeout_));
    // Version line, header "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight ...", rows.
    std::vector<SplitServer> servers;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#' || line.find(' ') == std::string::npos) continue;
      std::istringstream f(line);
      std::string be_id, be_name, srv_id, name, addr;
      int op = 0, admin = 0, uweight = 0;
      if (!(f >> be_id >> be_name >> srv_id >> name >> addr >> op >> admin >> uweight)) continue;
      if (be_name != backend_) continue;
      // srv_admin_state bit 0x01 forced maintenance, 0x08 forced drain; op state 2 running.
      std::string state = (admin & 0x01) ? "maint" : (admin & 0x08) ? "drain" : "ready";
      servers.push_back({name, uweight, state});
    }
    if (servers.empty()) return NotFound("haproxy: backend " + backend_ + " has no servers (or does not exist): " + out.substr(0, 200));
    return servers;
  }

  Status SetWeights(const std::map<std::string, int>& weights) override {
    ICB_ASSIGN_OR_RETURN(auto servers, Servers());
    for (const auto& [name, w] : weights) {
      bool known = std::any_of(servers.begin(), servers.end(), [&wanted = name](const SplitServer& s) { return s.name == wanted; });
      if (!known) return InvalidArgument("unknown server", {{"/weights/" + name, "backend " + backend_ + " has no server " + name}});
      if (w < 0 || w > 256) return InvalidArgument("weight out of range", {{"/weights/" + name, "weights are 0 to 256"}});
    }
    for (const auto& [name, w] : weights) ICB_RETURN_IF_ERROR(Set(name, "weight " + std::to_string(w)));
    return Status::Ok();
  }

  Status SetState(const std::string& server, const std::string& state) override {
    if (state != "ready" && state != "drain" && state != "maint") return InvalidArgument("invalid state", {{"/state", "ready, drain or maint"}});
    return Set(server, "state " + state);
  }

 private:
  Status Set(const std::string& server, const std::string& what) {
    ICB_ASSIGN_OR_RETURN(std::string out, HaproxyCommand(socket_, "set server " + backend_ + "/" + server + " " + what, timeout_));
    // Success is an empty answer; anything else is HAProxy's reason.
    std::string trimmed = out;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
    if (!trimmed.empty()) return Status(StatusCode::kFailedPrecondition, "haproxy: set server " + backend_ + "/" + server + " " + what + ": " + trimmed);
    return Status::Ok();
  }

  std::string socket_, backend_;
  Millis timeout_;
};

}  // namespace

Result<std::unique_ptr<TrafficSplit>> NewHaproxySplit(const nlohmann::json& c, AdapterContext& /*ctx*/) {
  Millis timeout{5000};
  if (c.contains("timeout_s")) timeout = Millis(static_cast<long long>(c["timeout_s"].get<double>() * 1000));
  return std::unique_ptr<TrafficSplit>(std::make_unique<HaproxySplit>(c.at("runtime_socket").get<std::string>(), c.at("backend").get<std::string>(), timeout));
}

}  // namespace icb
