#include "tests/support/redis_cluster.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/redis_commands.h"
#include "tests/support/temp_dir.h"

namespace icb::testing {

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

RedisCluster::RedisCluster(const std::string& dir) : dir_(dir) {
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    n.port = FreeTcpPort();
    n.bus_port = FreeTcpPort();  // not port + 10000: that may be past 65535
    const std::string data = dir + "/node-" + std::to_string(i);
    std::filesystem::create_directories(data);
    n.log = data + ".log";
    n.process = std::make_unique<ChildProcess>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(n.port), "--bind", "127.0.0.1", "--dir", data,
                                 "--cluster-enabled", "yes", "--cluster-port", std::to_string(n.bus_port), "--cluster-config-file",
                                 data + "/nodes.conf", "--cluster-node-timeout", "5000", "--appendonly", "yes", "--appendfsync",
                                 "always", "--save", "", "--daemonize", "no"},
        n.log, n.port);
    if (!n.process->ready()) return;
  }
  std::string create = "redis-cli --cluster create";
  for (const auto& n : nodes_) create += " 127.0.0.1:" + std::to_string(n.port);
  auto [rc, out] = RunShell(create + " --cluster-replicas 0 --cluster-yes >> " + dir + "/create.log 2>&1");
  if (rc != 0) return;
  ready_ = Eventually([&] { return Consistent(); }, std::chrono::seconds(30));
}

RedisCluster::~RedisCluster() {
  for (auto& n : nodes_) n.process.reset();
}

std::string RedisCluster::Url() const {
  std::string url = "cluster://";
  for (size_t i = 0; i < nodes_.size(); ++i) url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(nodes_[i].port);
  return url;
}

std::vector<int> RedisCluster::Ports() const {
  std::vector<int> out;
  for (const auto& n : nodes_) out.push_back(n.port);
  return out;
}

std::string RedisCluster::NodeId(int port) const {
  std::string id = AskRedis(port, {"CLUSTER", "MYID"});
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

int RedisCluster::PortOfSlot(int slot) const {
  // Flattened CLUSTER SLOTS: per range, first, last, host, port, id (no replicas here).
  const auto lines = Lines(AskRedis(nodes_[0].port, {"CLUSTER", "SLOTS"}));
  for (size_t k = 0; k + 4 < lines.size(); k += 5) {
    if (std::stoi(lines[k]) <= slot && slot <= std::stoi(lines[k + 1])) return std::stoi(lines[k + 3]);
  }
  return 0;
}

std::string RedisCluster::MoveSlot(int slot, int to, int batch, int pause_ms) const {
  const int from = PortOfSlot(slot);
  if (from == 0) return "no node serves slot " + std::to_string(slot);
  if (from == to) return "";
  const std::string s = std::to_string(slot), from_id = NodeId(from), to_id = NodeId(to);
  std::string r = AskRedis(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id});
  if (!r.starts_with("OK")) return "importing: " + r;
  r = AskRedis(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id});
  if (!r.starts_with("OK")) return "migrating: " + r;
  for (;;) {
    const auto keys = Lines(AskRedis(from, {"CLUSTER", "GETKEYSINSLOT", s, std::to_string(batch)}));
    if (keys.empty()) break;
    std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to), "", "0", "5000", "KEYS"};
    migrate.insert(migrate.end(), keys.begin(), keys.end());
    r = AskRedis(from, migrate);
    if (!r.starts_with("OK") && !r.starts_with("NOKEY")) return "migrate: " + r;
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  // The target first, then the source, then the rest (redis-cli's order).
  for (int port : {to, from}) {
    r = AskRedis(port, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
    if (!r.starts_with("OK")) return "node: " + r;
  }
  for (const auto& n : nodes_) {
    if (n.port != to && n.port != from) (void)AskRedis(n.port, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  }
  return "";
}

std::pair<int, std::string> RedisCluster::Reshard(int from, int to, int slots) const {
  return RunShell("redis-cli --cluster reshard 127.0.0.1:" + std::to_string(from) + " --cluster-from " + NodeId(from) +
                  " --cluster-to " + NodeId(to) + " --cluster-slots " + std::to_string(slots) + " --cluster-yes 2>&1");
}

bool RedisCluster::Consistent() const {
  for (const auto& n : nodes_) {
    if (AskRedis(n.port, {"CLUSTER", "INFO"}).find("cluster_state:ok") == std::string::npos) return false;
  }
  return RunShell("redis-cli --cluster check 127.0.0.1:" + std::to_string(nodes_[0].port) + " > /dev/null 2>&1").first == 0;
}

std::vector<long long> RedisCluster::KeysPerNode() const {
  std::vector<long long> out;
  for (const auto& n : nodes_) out.push_back(std::atoll(AskRedis(n.port, {"DBSIZE"}).c_str()));
  return out;
}

void RedisCluster::Flush() const {
  for (const auto& n : nodes_) (void)AskRedis(n.port, {"FLUSHALL"});
}

std::string RedisCluster::Logs() const {
  std::string out;
  for (const auto& path : {dir_ + "/create.log"}) {
    std::ifstream in(path);
    out += path + ":\n" + std::string(std::istreambuf_iterator<char>(in), {}) + "\n";
  }
  for (const auto& n : nodes_) out += n.process ? n.process->Log() : "";
  return out;
}

}  // namespace icb::testing
