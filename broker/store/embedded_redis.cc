#include "broker/store/embedded_redis.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

namespace icb {

namespace fs = std::filesystem;

struct EmbeddedRedis::State {
  EmbeddedRedisOptions opt;
  EmbeddedRedis::OnRestart on_restart;
  RedisAddress address;
  int lock_fd = -1;
  std::thread supervisor;
  std::mutex mu;
  std::condition_variable cv;
  pid_t pid = -1;  // current child, -1 when none
  bool stopping = false;
  bool spawn_failed = false;
  std::string spawn_error;
  std::atomic<int> restarts{0};
  std::vector<std::string> args;
};

namespace {

std::string ReadSmallFile(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

// A zombie (exited, not yet reaped by its parent) holds no socket or file: not alive.
bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool IsRedisServer(pid_t pid) {
  std::string comm = ReadSmallFile("/proc/" + std::to_string(pid) + "/comm");
  return comm.rfind("redis-server", 0) == 0 || comm.rfind("redis-check", 0) == 0;
}

// Asks a server we do not own (left over from a crashed broker) to shut down
// cleanly, and waits until the process is gone.
Status ShutDownStale(pid_t pid, const std::string& socket_path) {
  timeval tv{2, 0};
  if (redisContext* c = redisConnectUnixWithTimeout(socket_path.c_str(), tv)) {
    if (!c->err) {
      redisSetTimeout(c, tv);
      if (void* r = redisCommand(c, "SHUTDOWN")) freeReplyObject(r);  // no reply on success
    }
    redisFree(c);
  }
  for (int i = 0; i < 500 && ProcessAlive(pid); ++i) {
    if (i == 250) kill(pid, SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ProcessAlive(pid)) {
    kill(pid, SIGKILL);  // appendfsync always: nothing acknowledged is in its memory only
    for (int i = 0; i < 250 && ProcessAlive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ProcessAlive(pid) ? Status(StatusCode::kFailedPrecondition, "stale redis-server pid " + std::to_string(pid) + " does not exit")
                           : Status::Ok();
}

// fork+exec; between them only async-signal-safe calls.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: die with the broker (its thread that forked, the supervisor), so a
  // kill -9 of the broker stops Redis gracefully instead of leaving it behind.
  // The broker blocks SIGTERM/SIGINT (it sigwaits for them) and ignores
  // SIGPIPE; a blocked mask and ignored signals survive exec, so reset both or
  // redis-server would never see our SIGTERM.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) { dup2(devnull, 0); close(devnull); }
  setpgid(0, 0);  // not in the broker's process group: a Ctrl-C reaches the broker, which stops Redis in order
  execvp(argv[0], argv.data());
  _exit(127);
}

void SuperviseLoop(EmbeddedRedis::State* s) {
  const std::string log = (fs::path(s->opt.data_dir) / "redis.log").string();
  int consecutive_fast_exits = 0;
  std::string last_exit;  // why the one before exited; empty at the first start
  for (;;) {
    auto started = std::chrono::steady_clock::now();
    pid_t pid = Spawn(s->args, log);
    {
      std::lock_guard lock(s->mu);
      if (pid < 0) {
        s->spawn_failed = true;
        s->spawn_error = std::string("fork failed: ") + std::strerror(errno);
        s->cv.notify_all();
        return;
      }
      s->pid = pid;
      s->cv.notify_all();
    }
    if (!last_exit.empty() && s->on_restart) s->on_restart("redis-server pid " + std::to_string(pid) + " (restarted: the last one " + last_exit + ")");
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    std::unique_lock lock(s->mu);
    s->pid = -1;
    s->cv.notify_all();
    if (s->stopping) return;
    // Unexpected exit: restart with backoff; give up after repeated instant failures.
    bool fast = std::chrono::steady_clock::now() - started < std::chrono::seconds(2);
    consecutive_fast_exits = fast ? consecutive_fast_exits + 1 : 0;
    if (consecutive_fast_exits >= 5) {
      s->spawn_failed = true;
      s->spawn_error = "redis-server keeps exiting (status " + std::to_string(status) + "); see " + log;
      s->cv.notify_all();
      return;
    }
    s->restarts.fetch_add(1);
    last_exit = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "exited with status " + std::to_string(WEXITSTATUS(status));
    auto backoff = std::chrono::milliseconds(100) * (1 << std::min(consecutive_fast_exits, 5));
    if (s->cv.wait_for(lock, backoff, [&] { return s->stopping; })) return;
  }
}

Status WaitReady(EmbeddedRedis::State* s) {
  auto deadline = std::chrono::steady_clock::now() + s->opt.ready_timeout;
  auto store_ready = [&]() -> bool {
    timeval tv{1, 0};
    redisContext* c = s->address.unix_path.empty() ? redisConnectWithTimeout(s->address.host.c_str(), s->address.port, tv)
                                                   : redisConnectUnixWithTimeout(s->address.unix_path.c_str(), tv);
    bool ok = false;
    if (c && !c->err) {
      redisSetTimeout(c, tv);
      if (auto* r = static_cast<redisReply*>(redisCommand(c, "PING"))) {
        ok = r->type == REDIS_REPLY_STATUS;  // LOADING while replaying the AOF is an error reply
        freeReplyObject(r);
      }
    }
    if (c) redisFree(c);
    return ok;
  };
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(s->mu);
      if (s->spawn_failed) return Unavailable(s->spawn_error);
    }
    if (store_ready()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status(StatusCode::kDeadlineExceeded, "redis-server did not become ready; see " + s->opt.data_dir + "/redis.log");
}

}  // namespace

EmbeddedRedis::EmbeddedRedis(std::unique_ptr<State> state) : state_(std::move(state)) {}
EmbeddedRedis::~EmbeddedRedis() { (void)Stop(); }
const RedisAddress& EmbeddedRedis::address() const { return state_->address; }
int EmbeddedRedis::restarts() const { return state_->restarts.load(); }
pid_t EmbeddedRedis::pid() const {
  std::lock_guard lock(state_->mu);
  return state_->pid;
}

Result<std::unique_ptr<EmbeddedRedis>> EmbeddedRedis::Start(EmbeddedRedisOptions options, OnRestart on_restart) {
  auto s = std::make_unique<State>();
  s->opt = std::move(options);
  s->on_restart = std::move(on_restart);
  std::error_code ec;
  fs::create_directories(s->opt.data_dir, ec);
  if (ec) return InvalidArgument("cannot create data directory " + s->opt.data_dir + ": " + ec.message());
  s->opt.data_dir = fs::absolute(s->opt.data_dir).lexically_normal().string();
  if (s->opt.data_dir.size() > 1 && s->opt.data_dir.back() == '/') s->opt.data_dir.pop_back();
  const fs::path dir(s->opt.data_dir);

  // 1. The lock. O_CLOEXEC keeps it out of redis-server, so it dies with us.
  std::string lock_path = (dir / "icbroker.lock").string();
  s->lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd < 0) return InvalidArgument("cannot open " + lock_path + ": " + std::strerror(errno));
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder = ReadSmallFile(lock_path);
    close(s->lock_fd);
    return Status(StatusCode::kFailedPrecondition, "data directory " + s->opt.data_dir + " is in use by another icbroker" +
                                                       (holder.empty() ? "" : " (pid " + holder + ")") +
                                                       "; stop it first or choose another --data-dir");
  }
  std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, me.data(), me.size(), 0) < 0) {
    // The pid in the lock file is only informational.
  }

  std::string socket_path = (dir / "redis.sock").string();
  if (socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    close(s->lock_fd);
    return InvalidArgument("data directory path too long for a unix socket: " + socket_path);
  }

  // 2. A redis-server left behind by a crashed broker.
  fs::path pid_file = dir / "redis.pid";
  if (fs::exists(pid_file)) {
    pid_t stale = 0;
    try { stale = static_cast<pid_t>(std::stol(ReadSmallFile(pid_file))); } catch (...) {}
    if (stale > 0 && ProcessAlive(stale) && IsRedisServer(stale)) {
      if (Status st = ShutDownStale(stale, socket_path); !st.ok()) {
        close(s->lock_fd);
        return st;
      }
    }
    fs::remove(pid_file, ec);
  }

  // 3. Start and supervise our own.
  s->args = {s->opt.redis_server, "--port", std::to_string(s->opt.tcp_port), "--bind", "127.0.0.1", "--unixsocket", socket_path,
             "--unixsocketperm", "700", "--dir", s->opt.data_dir, "--pidfile", pid_file.string(), "--daemonize", "no",
             "--appendonly", "yes", "--appendfsync", s->opt.appendfsync, "--save", "", "--protected-mode", "yes",
             "--loglevel", "warning",
             // Sample de-duplication keeps one set of ms-within-day per series and
             // day (8,640 members at 10 s probes): as an intset that is 4 bytes each.
             "--set-max-intset-entries", "100000"};
  if (s->opt.tcp_port > 0) {
    s->address.host = "127.0.0.1";
    s->address.port = s->opt.tcp_port;
  } else {
    s->address.unix_path = socket_path;
  }
  State* raw = s.get();
  s->supervisor = std::thread([raw] { SuperviseLoop(raw); });
  std::unique_ptr<EmbeddedRedis> er(new EmbeddedRedis(std::move(s)));
  if (Status st = WaitReady(raw); !st.ok()) {
    (void)er->Stop();
    return st;
  }
  return er;
}

Status EmbeddedRedis::Stop() {
  State* s = state_.get();
  if (!s) return Status::Ok();
  pid_t pid;
  {
    std::lock_guard lock(s->mu);
    if (s->stopping && !s->supervisor.joinable()) return Status::Ok();
    s->stopping = true;
    pid = s->pid;
    s->cv.notify_all();
  }
  if (pid > 0) {
    kill(pid, SIGTERM);  // redis flushes the AOF and exits
    for (int i = 0; i < 500 && ProcessAlive(pid); ++i) {
      // The supervisor thread reaps it; wait until it has.
      std::unique_lock lock(s->mu);
      if (s->cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return s->pid == -1; })) break;
    }
    std::lock_guard lock(s->mu);
    if (s->pid > 0) kill(s->pid, SIGKILL);
  }
  if (s->supervisor.joinable()) s->supervisor.join();
  if (s->lock_fd >= 0) {
    close(s->lock_fd);  // releases the flock
    s->lock_fd = -1;
  }
  return Status::Ok();
}

}  // namespace icb
