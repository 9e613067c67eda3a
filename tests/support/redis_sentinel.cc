#include "tests/support/redis_sentinel.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/eventually.h"
#include "tests/support/redis_commands.h"
#include "tests/support/temp_dir.h"

namespace icb::testing {

std::string RedisWithSentinels::Ask(int port, const std::vector<std::string>& args) { return AskRedis(port, args); }

RedisWithSentinels::RedisWithSentinels(const std::string& dir) : dir_(dir) {
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < servers_.size(); ++i) {
    Server& s = servers_[i];
    s.port = FreeTcpPort();
    const std::string data = dir + "/redis-" + std::to_string(i);
    std::filesystem::create_directories(data);
    s.argv = {"redis-server", "--port", std::to_string(s.port), "--bind", "127.0.0.1", "--dir", data, "--appendonly", "yes",
              "--appendfsync", "always", "--save", "", "--daemonize", "no"};
    if (i == 1) {
      s.argv.insert(s.argv.end(), {"--replicaof", "127.0.0.1", std::to_string(servers_[0].port)});
    }
    s.log = data + ".log";
    s.process = std::make_unique<ChildProcess>(s.argv, s.log, s.port);
    if (!s.process->ready()) return;
  }
  for (size_t i = 0; i < sentinels_.size(); ++i) {
    Server& s = sentinels_[i];
    s.port = FreeTcpPort();
    const std::string conf = dir + "/sentinel-" + std::to_string(i) + ".conf";
    // Detection in 1 s instead of Sentinel's default 30 s: tests wait on it.
    std::ofstream(conf) << "port " << s.port << "\nbind 127.0.0.1\ndaemonize no\ndir " << dir << "\n"
                        << "sentinel monitor " << kMasterName << " 127.0.0.1 " << servers_[0].port << " 2\n"
                        << "sentinel down-after-milliseconds " << kMasterName << " 1000\n"
                        << "sentinel failover-timeout " << kMasterName << " 5000\n"
                        << "sentinel parallel-syncs " << kMasterName << " 1\n";
    s.argv = {"redis-server", conf, "--sentinel"};
    s.log = dir + "/sentinel-" + std::to_string(i) + ".log";
    s.process = std::make_unique<ChildProcess>(s.argv, s.log, s.port);
    if (!s.process->ready()) return;
  }
  // Sentinels find the replica and each other through the master's hello
  // channel (every 2 s): a failover needs them to.
  ready_ = SettledOn(servers_[0].port) && Eventually([&] {
             for (const auto& s : sentinels_) {
               if (CountRedis(s.port, {"SENTINEL", "SENTINELS", kMasterName}) != 2) return false;
               if (CountRedis(s.port, {"SENTINEL", "REPLICAS", kMasterName}) < 1) return false;
             }
             return true;
           });
}

RedisWithSentinels::~RedisWithSentinels() {
  for (auto& s : sentinels_) s.process.reset();
  for (auto& s : servers_) s.process.reset();
}

std::string RedisWithSentinels::Url() const {
  std::string url = "sentinel://";
  for (size_t i = 0; i < sentinels_.size(); ++i) url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(sentinels_[i].port);
  return url + "/" + kMasterName;
}

int RedisWithSentinels::MasterPort() const {
  for (const auto& s : sentinels_) {
    const std::string answer = Ask(s.port, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMasterName});
    const auto nl = answer.find('\n');
    if (nl == std::string::npos || answer.starts_with("ERR") || answer.starts_with("(nil)")) continue;
    return std::atoi(answer.c_str() + nl + 1);
  }
  return 0;
}

bool RedisWithSentinels::Failover() const {
  return Ask(sentinels_[0].port, {"SENTINEL", "FAILOVER", kMasterName}).starts_with("OK");
}

namespace {
bool SentinelNames(int sentinel_port, int master_port) {
  const std::string answer = AskRedis(sentinel_port, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", RedisWithSentinels::kMasterName});
  return answer.find("\n" + std::to_string(master_port) + "\n") != std::string::npos;
}
}  // namespace

bool RedisWithSentinels::AllSentinelsName(int master_port) const {
  return Eventually(
      [&] {
        for (const auto& s : sentinels_)
          if (s.process && s.process->ready() && !SentinelNames(s.port, master_port)) return false;
        return true;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(100));
}

bool RedisWithSentinels::SettledOn(int master_port) const {
  return Eventually(
      [&] {
        for (const auto& s : sentinels_)
          if (s.process && s.process->ready() && !SentinelNames(s.port, master_port)) return false;
        // In sync, not only connected: a replica still loading the
        // master's snapshot acknowledges no write (WAIT 1 would refuse the
        // broker's first one).
        const std::string info = Ask(master_port, {"INFO", "replication"});
        return info.find("state=online") != std::string::npos;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(100));
}

void RedisWithSentinels::Pause(int port, bool paused) {
  for (auto& s : servers_)
    if (s.port == port && s.process) kill(s.process->pid(), paused ? SIGSTOP : SIGCONT);
}

void RedisWithSentinels::Kill(int port) {
  for (auto& s : servers_)
    if (s.port == port && s.process) s.process->Kill();
}

bool RedisWithSentinels::Restart(int port) {
  for (auto& s : servers_) {
    if (s.port != port) continue;
    // Started as it was first: a Sentinel that sees it back makes it a
    // replica of the new master, as it would a restarted pod.
    s.process = std::make_unique<ChildProcess>(s.argv, s.log + ".restarted", s.port);
    return s.process->ready();
  }
  return false;
}

std::string RedisWithSentinels::Logs() const {
  // The last lines of each: a whole server log (its startup banner and
  // every sync) pushed the Sentinels' out of a CI report.
  const auto tail = [](const std::string& log, size_t lines) {
    size_t at = log.size();
    for (size_t n = 0; at > 0 && n <= lines;) {
      at = log.rfind('\n', at - 1);
      if (at == std::string::npos) return log;
      ++n;
    }
    return log.substr(at + 1);
  };
  std::string out;
  // Sentinels first: their decisions explain the servers' roles.
  for (const auto* group : {&sentinels_[0], &sentinels_[1], &sentinels_[2], &servers_[0], &servers_[1]}) {
    if (group->process) out += "--- " + group->log + "\n" + tail(group->process->Log(), 40);
  }
  return out;
}

}  // namespace icb::testing
