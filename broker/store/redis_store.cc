#include "broker/store/redis_store.h"

#include <hiredis/hiredis.h>

#include "broker/store/cluster_slot.h"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace icb {

std::string RedisAddress::ToString() const {
  const std::string db_path = db ? "/" + std::to_string(db) : "";
  if (!unix_path.empty()) return "unix://" + unix_path + (db ? "?db=" + std::to_string(db) : "");
  if (!sentinels.empty()) {
    std::string out = "sentinel://";
    for (size_t i = 0; i < sentinels.size(); ++i) out += (i ? "," : "") + sentinels[i].host + ":" + std::to_string(sentinels[i].port);
    return out + "/" + master_name + db_path;
  }
  if (!cluster_nodes.empty()) {
    std::string out = "cluster://";
    for (size_t i = 0; i < cluster_nodes.size(); ++i) out += (i ? "," : "") + cluster_nodes[i].host + ":" + std::to_string(cluster_nodes[i].port);
    return out;
  }
  return "redis://" + host + ":" + std::to_string(port) + db_path;
}

namespace {

Status BadRedisUrl(const std::string& why) { return InvalidArgument("invalid Redis URL: " + why); }

// host[:port], the port defaulting to `default_port`.
Result<RedisEndpoint> ParseHostPort(std::string_view hostport, int default_port) {
  RedisEndpoint e;
  auto colon = hostport.rfind(':');
  e.host = std::string(hostport.substr(0, colon));
  e.port = default_port;
  if (colon != std::string_view::npos) {
    try { e.port = std::stoi(std::string(hostport.substr(colon + 1))); } catch (...) { return BadRedisUrl("port is not a number"); }
  }
  if (e.host.empty()) return BadRedisUrl("missing host");
  if (e.port <= 0 || e.port > 65535) return BadRedisUrl("port out of range");
  return e;
}

Result<int> ParseDb(std::string_view text) {
  try {
    size_t used = 0;
    int db = std::stoi(std::string(text), &used);
    if (used == text.size() && db >= 0) return db;
  } catch (...) {
  }
  return BadRedisUrl("db is not a number");
}

// "host:port,host:port".
Result<std::vector<RedisEndpoint>> ParseHostList(std::string_view hosts, int default_port) {
  std::vector<RedisEndpoint> out;
  for (size_t at = 0; at <= hosts.size();) {
    const size_t comma = std::min(hosts.find(',', at), hosts.size());
    ICB_ASSIGN_OR_RETURN(auto endpoint, ParseHostPort(hosts.substr(at, comma - at), default_port));
    out.push_back(std::move(endpoint));
    at = comma + 1;
  }
  return out;
}

// Takes "[user]:password@" off the front of `rest`, if there.
std::string TakePassword(std::string_view& rest) {
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view cred = rest.substr(0, at);
  auto colon = cred.find(':');
  rest = rest.substr(at + 1);
  return std::string(colon == std::string_view::npos ? cred : cred.substr(colon + 1));
}

}  // namespace

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  RedisAddress a;
  if (url.starts_with("unix://")) {
    std::string_view rest = url.substr(7);
    auto q = rest.find('?');
    a.unix_path = std::string(rest.substr(0, q));
    if (a.unix_path.empty() || a.unix_path[0] != '/') return BadRedisUrl("unix:// needs an absolute socket path");
    if (q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      if (!query.starts_with("db=")) return BadRedisUrl("only ?db=N is understood");
      ICB_ASSIGN_OR_RETURN(a.db, ParseDb(query.substr(3)));
    }
    return a;
  }
  if (url.starts_with("sentinel://")) {
    std::string_view rest = url.substr(11);
    a.password = TakePassword(rest);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) return BadRedisUrl("sentinel:// needs /MASTER-NAME after the Sentinels");
    std::string_view hosts = rest.substr(0, slash), path = rest.substr(slash + 1);
    auto db_slash = path.find('/');
    a.master_name = std::string(path.substr(0, db_slash));
    if (a.master_name.empty()) return BadRedisUrl("sentinel:// needs a master name");
    if (db_slash != std::string_view::npos) {
      ICB_ASSIGN_OR_RETURN(a.db, ParseDb(path.substr(db_slash + 1)));
    }
    ICB_ASSIGN_OR_RETURN(a.sentinels, ParseHostList(hosts, 26379));
    return a;
  }
  if (url.starts_with("cluster://")) {
    std::string_view rest = url.substr(10);
    a.password = TakePassword(rest);
    const size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash + 1 < rest.size()) return BadRedisUrl("cluster:// serves database 0 only");
    ICB_ASSIGN_OR_RETURN(a.cluster_nodes, ParseHostList(rest.substr(0, slash), 6379));
    return a;
  }
  if (!url.starts_with("redis://")) return BadRedisUrl("expected redis://, unix://, sentinel:// or cluster://");
  std::string_view rest = url.substr(8);
  a.password = TakePassword(rest);
  auto slash = rest.find('/');
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    ICB_ASSIGN_OR_RETURN(a.db, ParseDb(rest.substr(slash + 1)));
  }
  ICB_ASSIGN_OR_RETURN(auto endpoint, ParseHostPort(rest.substr(0, slash), 6379));
  a.host = std::move(endpoint.host);
  a.port = endpoint.port;
  return a;
}

namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// A one-off connection to ask one thing (a Sentinel where the master is, a
// cluster node which node serves each slot): connected within `connect`,
// commands bounded by `command`, authenticated when `password` is set. An
// error is "HOST:PORT: why", for the caller's list of what it tried.
Result<ContextPtr> DialToAsk(const RedisEndpoint& e, std::chrono::milliseconds connect, std::chrono::milliseconds command,
                             const std::string& password) {
  const std::string where = e.host + ":" + std::to_string(e.port);
  ContextPtr c(redisConnectWithTimeout(e.host.c_str(), e.port, ToTimeval(connect)));
  if (!c || c->err) return Unavailable(where + ": " + (c ? c->errstr : "out of memory"));
  redisSetTimeout(c.get(), ToTimeval(command));
  if (!password.empty()) {
    ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "AUTH %b", password.data(), password.size())));
    if (!r || r->type == REDIS_REPLY_ERROR) return Unavailable(where + ": AUTH failed");
  }
  return c;
}

Status ContextError(const redisContext* c, std::string_view what) {
  std::string msg = std::string(what) + ": " + (c ? c->errstr : "no context");
  // A timeout is Unavailable too: the request's answer is 503, and the
  // store is marked down (Return).
  if (c && c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) return Unavailable("Redis timed out: " + msg);
  return Unavailable("Redis unreachable: " + msg);
}

Status ReplyError(const redisReply* r) {
  std::string msg(r->str, r->len);
  if (msg.starts_with("LOADING") || msg.starts_with("BUSY") || msg.starts_with("MASTERDOWN") || msg.starts_with("READONLY")) {
    return Unavailable("Redis: " + msg);
  }
  return Internal("Redis: " + msg);
}

// The Lua both append scripts share: applies one AppendGroup whose
// arguments start at ARGV[i] and whose keys start at KEYS[k]; returns the
// next i, the next k and how many records were new. ARGV: mode, how many
// keys the group declared, then per mode:
//   's' (string data; KEYS: seen, data, the sets listing data): count, the
//     member each listing set gets, then per item: member, record. The
//     listing sets get theirs when a record creates data (APPEND answers
//     the record's own length): once per key's life, not per record.
//   'l' (an indexed log; KEYS: seen then the log's parts): seen, data,
//     count, then per item: member, record, time or '', index count, index
//     names. data is the log's name: DATA:seq (the last number given),
//     DATA:rec (number -> record), DATA:meta (number -> member and index
//     names, for LogTrim), DATA:all and DATA:ix:NAME (sorted sets of numbers
//     scored by number), DATA:time (numbers scored by time, for LogSeek).
// Key names travel once, in KEYS (a sample batch is mostly key names).
constexpr std::string_view kAppendGroupLua = R"LUA(
local function append_group(i, k)
  local mode, nkeys = ARGV[i], tonumber(ARGV[i + 1])
  local n = 0
  if mode == 's' then
    local seen, data, count, nlist = KEYS[k], KEYS[k + 1], tonumber(ARGV[i + 2]), nkeys - 2
    local listing = i + 3
    i = listing + nlist
    for _ = 1, count do
      local record = ARGV[i + 1]
      if redis.call('SADD', seen, ARGV[i]) == 1 then
        n = n + 1
        if redis.call('APPEND', data, record) == #record then
          for x = 1, nlist do redis.call('SADD', KEYS[k + 1 + x], ARGV[listing + x - 1]) end
        end
      end
      i = i + 2
    end
    return i, k + nkeys, n
  end
  local seen, data, count = ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  i = i + 5
  for _ = 1, count do
    local member, record, time, nidx = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    if redis.call('SADD', seen, member) == 1 then
      n = n + 1
      local seq = redis.call('INCR', data .. ':seq')
      redis.call('HSET', data .. ':rec', seq, record)
      redis.call('ZADD', data .. ':all', seq, seq)
      if time ~= '' then redis.call('ZADD', data .. ':time', time, seq) end
      local meta = member
      for x = 1, nidx do
        redis.call('ZADD', data .. ':ix:' .. ARGV[i + 3 + x], seq, seq)
        meta = meta .. '\n' .. ARGV[i + 3 + x]
      end
      redis.call('HSET', data .. ':meta', seq, meta)
    end
    i = i + 4 + nidx
  end
  return i, k + nkeys, n
end
)LUA";

// Keeps the strings a command's arguments point into (keys in their cluster
// form, numbers) alive until it is sent: a deque, so adding moves nothing.
using Owned = std::deque<std::string>;
using Args = std::vector<std::string_view>;
using Commands = std::vector<Args>;

std::string_view Number(Owned& owned, long long v) { return owned.emplace_back(std::to_string(v)); }

// `args` in Redis' protocol (RESP), into `out`: sized once, then copied
// (hiredis' own formatter grows its buffer an argument at a time, and a
// batch of samples is thousands of them).
void FormatCommand(const Args& args, std::string& out) {
  auto digits = [](size_t n) {
    size_t d = 1;
    while (n >= 10) n /= 10, ++d;
    return d;
  };
  size_t size = 1 + digits(args.size()) + 2;
  for (auto a : args) size += 1 + digits(a.size()) + 2 + a.size() + 2;
  out.clear();
  out.reserve(size);
  auto header = [&](char kind, size_t n) {
    char buf[24];
    buf[0] = kind;
    char* end = std::to_chars(buf + 1, buf + sizeof buf - 2, n).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(buf, static_cast<size_t>(end - buf));
  };
  header('*', args.size());
  for (auto a : args) {
    header('$', a.size());
    out.append(a).append("\r\n");
  }
}

// How a call may be repeated and acknowledged. A read is retried once on a
// new connection when Redis closed the old one; a write is not (it may have
// been applied), unless it is idempotent; every write waits for
// replica_acks replicas. A redirection (MOVED, ASK, TRYAGAIN) is retried
// whatever the call: the server applied nothing.
enum class Call { kRead, kWrite, kIdempotentWrite };

// A pooled connection and the generation of the pool it was dialled in:
// once the pool found its server gone or demoted (MarkDown), connections of
// an older generation are closed when they come back, not reused.
struct Conn {
  ContextPtr ctx;
  uint64_t generation = 0;
};

// A reply that says the server is a replica now: the connection's master
// was demoted, so the pool dials afresh (asking the Sentinels again).
bool SaysDemoted(const redisReply& r) { return r.type == REDIS_REPLY_ERROR && std::string_view(r.str, r.len).starts_with("READONLY"); }

// The connections to one server: the one of redis:// or unix://, the master
// behind sentinel://, or one node of a cluster.
class ServerPool {
 public:
  ServerPool(const RedisStoreOptions& opt, RedisAddress address) : opt_(opt), address_(std::move(address)) {}

  const RedisAddress& address() const { return address_; }

  Result<Conn> Borrow() {
    std::unique_lock lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + opt_.borrow_timeout;
    while (!down_ && idle_.empty() && live_ >= opt_.pool_size) {
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
        return Unavailable("no free Redis connection within " + std::to_string(opt_.borrow_timeout.count()) + " ms");
    }
    if (down_) {
      // One caller at a time, once per probe interval, dials and PINGs.
      const auto now = std::chrono::steady_clock::now();
      if (probing_ || now < next_probe_ || live_ >= opt_.pool_size) return Down();
      probing_ = true;
      next_probe_ = now + opt_.probe_interval;
      ++live_;
      const uint64_t generation = generation_;
      lock.unlock();
      auto dialled = Dial(/*ping=*/true, generation);
      lock.lock();
      probing_ = false;
      if (!dialled.ok()) {
        --live_;
        last_error_ = dialled.status().message();
        cv_.notify_all();
        return Down();
      }
      down_ = false;
      cv_.notify_all();
      return dialled;
    }
    if (!idle_.empty()) {
      Conn c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++live_;
    const uint64_t generation = generation_;
    lock.unlock();
    auto dialled = Dial(/*ping=*/false, generation);
    lock.lock();
    if (!dialled.ok()) {
      --live_;
      MarkDown(dialled.status().message());
      return dialled.status();
    }
    return dialled;
  }

  // `demoted`: the server answered as a replica (SaysDemoted).
  void Return(Conn c, bool demoted = false) {
    std::lock_guard lock(mu_);
    if (c.ctx->err || demoted) {
      --live_;  // a broken context is never reused
      MarkDown(demoted ? "the master was demoted to a replica" : c.ctx->errstr);
    } else if (c.generation != generation_) {
      --live_;  // dialled before the server was found gone: it may be the old one
    } else {
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

 private:
  Status Down() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - down_since_).count();
    return Unavailable("Redis not answering at " + address_.ToString() + " for " + std::to_string(ms) + " ms (" + last_error_ +
                       "); retried every " + std::to_string(opt_.probe_interval.count()) + " ms");
  }

  // Called with mu_ held. The idle connections go too: after a restart
  // they are all broken, after a stop all would wait, after a promotion
  // they lead to the old master.
  void MarkDown(const std::string& why) {
    if (!down_) {
      down_ = true;
      down_since_ = std::chrono::steady_clock::now();
      next_probe_ = down_since_;  // the first probe at once: a restarted Redis is back in one round trip
    }
    ++generation_;
    last_error_ = why;
    live_ -= static_cast<int>(idle_.size());
    idle_.clear();
    cv_.notify_all();
  }

  // Where the master of a sentinel:// address is now: the first Sentinel
  // that answers says (Redis' Sentinel client protocol; Dial then checks the
  // server's ROLE, since a Sentinel may not have seen a promotion yet). The
  // Sentinel that answered is asked first next time.
  Result<RedisEndpoint> AskSentinels() {
    const auto& sentinels = address_.sentinels;
    const auto& name = address_.master_name;
    std::string errors;
    const size_t first = preferred_sentinel_.load();
    for (size_t k = 0; k < sentinels.size(); ++k) {
      const size_t i = (first + k) % sentinels.size();
      const RedisEndpoint& s = sentinels[i];
      const std::string where = s.host + ":" + std::to_string(s.port);
      auto c = DialToAsk(s, opt_.connect_timeout, opt_.connect_timeout, "");  // Sentinels are asked without a password
      if (!c.ok()) {
        errors += (errors.empty() ? "" : "; ") + c.status().message();
        continue;
      }
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c->get(), "SENTINEL get-master-addr-by-name %b", name.data(), name.size())));
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
          r->element[1]->type != REDIS_REPLY_STRING) {
        errors += (errors.empty() ? "" : "; ") + where + (r ? " does not know master " + name : ": no answer");
        continue;
      }
      RedisEndpoint master{std::string(r->element[0]->str, r->element[0]->len), std::atoi(r->element[1]->str)};
      if (master.port <= 0 || master.port > 65535) {
        errors += (errors.empty() ? "" : "; ") + where + " named a port out of range";
        continue;
      }
      preferred_sentinel_.store(i);
      return master;
    }
    return Unavailable("no Sentinel named the master " + name + " (" + errors + ")");
  }

  // A new connection; with `ping`, it must answer PING within the connect
  // timeout (a stopped Redis still accepts connections). Behind Sentinels,
  // it must be to the master: a write never goes to a demoted one.
  Result<Conn> Dial(bool ping, uint64_t generation) {
    const RedisAddress& a = address_;
    const bool sentinel = !a.sentinels.empty();
    RedisEndpoint target{a.host, a.port};
    if (sentinel) {
      ICB_ASSIGN_OR_RETURN(target, AskSentinels());
    }
    const std::string where = sentinel ? "master " + a.master_name + " at " + target.host + ":" + std::to_string(target.port) : a.ToString();
    timeval ct = ToTimeval(opt_.connect_timeout);
    ContextPtr c(a.unix_path.empty() ? redisConnectWithTimeout(target.host.c_str(), target.port, ct)
                                     : redisConnectUnixWithTimeout(a.unix_path.c_str(), ct));
    if (!c || c->err) return Unavailable("cannot connect to Redis at " + where + ": " + (c ? c->errstr : "out of memory"));
    if (ping) {
      redisSetTimeout(c.get(), ct);
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
      if (!r) return ContextError(c.get(), "PING");
    }
    // A WAIT's answer may take the whole replica_ack_timeout.
    redisSetTimeout(c.get(), ToTimeval(opt_.command_timeout + (opt_.replica_acks > 0 ? opt_.replica_ack_timeout : std::chrono::milliseconds(0))));
    if (!a.password.empty()) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "AUTH %b", a.password.data(), a.password.size())));
      if (!r || r->type == REDIS_REPLY_ERROR) return Unavailable("Redis AUTH failed at " + where);
    }
    if (sentinel) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "ROLE")));
      if (!r) return ContextError(c.get(), "ROLE");
      if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_STRING ||
          std::string_view(r->element[0]->str, r->element[0]->len) != "master") {
        return Unavailable("Redis at " + where + " is not a master now (a promotion is under way)");
      }
    }
    if (a.db != 0) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", a.db)));
      if (!r || r->type == REDIS_REPLY_ERROR) return Unavailable("Redis SELECT failed at " + where);
    }
    return Conn{std::move(c), generation};
  }

  const RedisStoreOptions& opt_;
  const RedisAddress address_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Conn> idle_;
  int live_ = 0;
  bool down_ = false, probing_ = false;
  uint64_t generation_ = 0;  // MarkDown counts
  std::atomic<size_t> preferred_sentinel_{0};
  std::chrono::steady_clock::time_point down_since_{}, next_probe_{};
  std::string last_error_;
};

// Which node of a cluster serves each slot, as CLUSTER SLOTS last said and
// MOVED corrected since, and one pool per node. Asked again when a node
// failed (a promotion or a node gone moves slots everywhere).
class ClusterNodes {
 public:
  explicit ClusterNodes(const RedisStoreOptions& opt) : opt_(opt) {}

  // The node serving `slot` (-1: any).
  Result<ServerPool*> OfSlot(int slot) {
    for (int pass = 0; pass < 2; ++pass) {
      {
        std::lock_guard lock(mu_);
        if (!owner_.empty() && !stale_) {
          if (slot < 0) return pools_.begin()->second.get();
          if (!owner_[slot].empty()) return pools_.at(owner_[slot]).get();
        }
      }
      if (pass == 0) ICB_RETURN_IF_ERROR(Refresh());
    }
    return Unavailable("no node of the Redis Cluster serves slot " + std::to_string(slot));
  }

  // The node named "host:port" (by ASK or MOVED).
  ServerPool* Named(const std::string& node) {
    std::lock_guard lock(mu_);
    return PoolLocked(node);
  }

  // A MOVED: the slot is served by `node` now.
  void Moved(int slot, const std::string& node) {
    std::lock_guard lock(mu_);
    if (owner_.empty()) owner_.resize(kClusterSlots);
    PoolLocked(node);
    owner_[slot] = node;
  }

  // A node failed: ask the cluster again before the next call.
  void Stale() {
    std::lock_guard lock(mu_);
    stale_ = true;
  }

  // Every node serving a slot.
  Result<std::vector<ServerPool*>> Masters() {
    ICB_RETURN_IF_ERROR(OfSlot(-1).status());
    std::lock_guard lock(mu_);
    std::set<std::string> names(owner_.begin(), owner_.end());
    std::vector<ServerPool*> out;
    for (const auto& n : names)
      if (!n.empty()) out.push_back(pools_.at(n).get());
    return out;
  }

 private:
  ServerPool* PoolLocked(const std::string& node) {
    auto& pool = pools_[node];
    if (!pool) {
      RedisAddress a;
      const auto colon = node.rfind(':');
      a.host = node.substr(0, colon);
      a.port = std::atoi(node.c_str() + colon + 1);
      a.password = opt_.address.password;
      pool = std::make_unique<ServerPool>(opt_, std::move(a));
    }
    return pool.get();
  }

  // CLUSTER SLOTS from the first node that answers: the nodes known, then
  // the URL's. One caller at a time; a caller that waited for another's
  // answer uses it.
  Status Refresh() {
    std::lock_guard refreshing(refresh_mu_);
    std::vector<RedisEndpoint> ask;
    {
      std::lock_guard lock(mu_);
      if (!owner_.empty() && !stale_) return Status::Ok();
      for (const auto& [name, pool] : pools_) ask.push_back({pool->address().host, pool->address().port});
    }
    ask.insert(ask.end(), opt_.address.cluster_nodes.begin(), opt_.address.cluster_nodes.end());
    std::string errors;
    auto failed = [&](const RedisEndpoint& e, const std::string& why) {
      errors += (errors.empty() ? "" : "; ") + e.host + ":" + std::to_string(e.port) + ": " + why;
    };
    for (const auto& e : ask) {
      auto c = DialToAsk(e, opt_.connect_timeout, opt_.command_timeout, opt_.address.password);
      if (!c.ok()) {
        errors += (errors.empty() ? "" : "; ") + c.status().message();
        continue;
      }
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c->get(), "CLUSTER SLOTS")));
      if (!r || r->type != REDIS_REPLY_ARRAY) {
        failed(e, r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "no answer to CLUSTER SLOTS");
        continue;
      }
      // Each entry: first slot, last slot, then the master [host, port,
      // id] and its replicas. An empty host means the node asked.
      std::vector<std::string> owner(kClusterSlots);
      size_t covered = 0;
      for (size_t k = 0; k < r->elements; ++k) {
        const redisReply* range = r->element[k];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[2]->type != REDIS_REPLY_ARRAY ||
            range->element[2]->elements < 2)
          continue;
        const redisReply* master = range->element[2];
        std::string host(master->element[0]->str ? std::string(master->element[0]->str, master->element[0]->len) : "");
        if (host.empty() || host == "?") host = e.host;
        const std::string node = host + ":" + std::to_string(master->element[1]->integer);
        const long long first = std::max(0LL, range->element[0]->integer), last = std::min<long long>(kClusterSlots - 1, range->element[1]->integer);
        for (long long s = first; s <= last; ++s) owner[s] = node;
        covered += static_cast<size_t>(std::max(0LL, last - first + 1));
      }
      if (covered == 0) {
        failed(e, "serves no slot (not in a cluster yet)");
        continue;
      }
      std::lock_guard lock(mu_);
      for (const auto& node : owner)
        if (!node.empty() && !pools_.count(node)) PoolLocked(node);
      owner_ = std::move(owner);
      stale_ = false;
      return Status::Ok();
    }
    return Unavailable("no node of the Redis Cluster answered CLUSTER SLOTS (" + errors + ")");
  }

  const RedisStoreOptions& opt_;
  std::mutex refresh_mu_;  // held while asking the cluster
  std::mutex mu_;
  std::vector<std::string> owner_;  // slot -> "host:port"; empty until asked
  std::map<std::string, std::unique_ptr<ServerPool>> pools_;  // never removed: the store hands out pointers
  bool stale_ = false;
};

// What an error reply asks of a cluster client: go to another node for the
// slot (MOVED, from now on; ASK, this once) or wait and retry (TRYAGAIN: a
// multi-key call on a slot being migrated; CLUSTERDOWN: no majority; a
// script that met a key migrated away).
struct Redirect {
  enum Kind { kNone, kMoved, kAsk, kWait } kind = kNone;
  int slot = -1;
  std::string node, why;
};

Redirect RedirectOf(const redisReply& r) {
  if (r.type == REDIS_REPLY_ARRAY) {
    for (size_t k = 0; k < r.elements; ++k) {
      Redirect inner = RedirectOf(*r.element[k]);
      if (inner.kind != Redirect::kNone) return inner;
    }
    return {};
  }
  if (r.type != REDIS_REPLY_ERROR) return {};
  const std::string_view msg(r.str, r.len);
  Redirect out;
  out.why = std::string(msg);
  if (msg.starts_with("MOVED ") || msg.starts_with("ASK ")) {
    out.kind = msg[0] == 'M' ? Redirect::kMoved : Redirect::kAsk;
    const size_t a = msg.find(' '), b = msg.find(' ', a + 1);
    if (b == std::string_view::npos) return {};
    out.slot = std::atoi(std::string(msg.substr(a + 1, b - a - 1)).c_str());
    out.node = std::string(msg.substr(b + 1));
    if (out.slot < 0 || out.slot >= kClusterSlots || out.node.find(':') == std::string::npos) return {};
    return out;
  }
  if (msg.starts_with("TRYAGAIN") || msg.starts_with("CLUSTERDOWN") || msg.find("non local key") != std::string_view::npos) {
    out.kind = Redirect::kWait;
    return out;
  }
  return {};
}

// The first redirection among a round trip's replies.
Redirect FirstRedirect(const std::vector<ReplyPtr>& replies) {
  for (const auto& r : replies) {
    if (!r) continue;
    Redirect d = RedirectOf(*r);
    if (d.kind != Redirect::kNone) return d;
  }
  return {};
}

class RedisStoreImpl final : public Store {
 public:
  explicit RedisStoreImpl(RedisStoreOptions o) : opt_(std::move(o)), cluster_(!opt_.address.cluster_nodes.empty()) {
    if (cluster_) nodes_ = std::make_unique<ClusterNodes>(opt_);
    else single_ = std::make_unique<ServerPool>(opt_, opt_.address);
  }

  Status Ping() override {
    if (!cluster_) return Command(-1, {"PING"}, Call::kRead).status();
    // Every node serving a slot: any one down fails the calls on its slots.
    ICB_ASSIGN_OR_RETURN(auto masters, nodes_->Masters());
    for (ServerPool* node : masters) {
      Outcome o = Exchange(*node, {{"PING"}}, Call::kRead, false, [](size_t, ReplyPtr) {});
      if (!o.status.ok()) {
        nodes_->Stale();
        return o.status;
      }
    }
    return Status::Ok();
  }

  std::string KeyGroup(std::string_view group) const override { return cluster_ ? "{" + std::string(group) + "}" : std::string(group); }

  Result<std::optional<std::string>> HashGet(std::string_view key, std::string_view field) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"HGET", k, field}, Call::kRead));
    if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    return std::optional<std::string>(std::string(r->str, r->len));
  }

  Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view key) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"HGETALL", k}, Call::kRead));
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      out.emplace_back(std::string(r->element[i]->str, r->element[i]->len), std::string(r->element[i + 1]->str, r->element[i + 1]->len));
    }
    return out;
  }

  Result<std::vector<std::string>> HashKeys(std::string_view key) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"HKEYS", k}, Call::kRead));
    std::vector<std::string> out;
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  Result<std::vector<std::optional<std::string>>> HashGetMany(std::string_view key, const std::vector<std::string>& fields) override {
    std::vector<std::optional<std::string>> out;
    if (fields.empty()) return out;
    Owned owned;
    const auto k = Key(key, owned);
    Args args{"HMGET", k};
    args.insert(args.end(), fields.begin(), fields.end());
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), args, Call::kRead));
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply& e = *r->element[i];
      if (e.type == REDIS_REPLY_STRING) out.emplace_back(std::string(e.str, e.len));
      else out.emplace_back(std::nullopt);
    }
    return out;
  }

  Result<long long> GetCounter(std::string_view key) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"GET", k}, Call::kRead));
    if (r->type == REDIS_REPLY_NIL) return 0LL;
    try {
      return std::stoll(std::string(r->str, r->len));
    } catch (...) {
      return Internal("counter " + std::string(key) + " is not an integer");
    }
  }

  Result<long long> AppendUnique(const std::vector<AppendGroup>& groups,
                                 const std::vector<std::pair<std::string, std::string>>& set_adds) override {
    ICB_RETURN_IF_ERROR(CheckAppendGroups(groups));
    if (!cluster_) {
      Owned owned;
      ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(-1, AppendCommand(groups, set_adds, owned), Call::kWrite));
      return static_cast<long long>(r->integer);
    }
    // One script per slot, pipelined per master. Set adds in slots without
    // records go first: a record is never there before the set that lists
    // where it is.
    std::map<int, std::pair<std::vector<AppendGroup>, std::vector<std::pair<std::string, std::string>>>> parts;
    for (const auto& g : groups) {
      Owned owned;
      const int slot = SlotOf(Key(g.data_key, owned));
      if (SlotOf(Key(g.seen_key, owned)) != slot)
        return Internal("append group " + g.data_key + " and its seen set " + g.seen_key + " are in different key groups");
      for (const auto& listing : g.listed_in)
        if (SlotOf(Key(listing.first, owned)) != slot)
          return Internal("append group " + g.data_key + " and the set " + listing.first + " listing it are in different key groups");
      parts[slot].first.push_back(g);
    }
    for (const auto& add : set_adds) {
      Owned owned;
      parts[SlotOf(Key(add.first, owned))].second.push_back(add);
    }
    long long appended = 0;
    for (int pass = 0; pass < 2; ++pass) {
      Owned owned;
      Commands commands;
      std::vector<int> slots;
      for (const auto& [slot, part] : parts) {
        if (part.first.empty() != (pass == 0)) continue;
        commands.push_back(AppendCommand(part.first, part.second, owned));
        slots.push_back(slot);
      }
      Status failed;
      ICB_RETURN_IF_ERROR(PerSlot(slots, commands, Call::kWrite, [&](size_t, const redisReply& r) {
        if (r.type == REDIS_REPLY_ERROR) {
          if (failed.ok()) failed = ReplyError(&r);
        } else {
          appended += r.integer;
        }
      }));
      if (!failed.ok()) {
        Count(opt_.errors);
        return failed;
      }
    }
    return appended;
  }

  Result<std::vector<LogEntry>> LogRead(std::string_view log, std::string_view index, long long after, size_t limit) override {
    // The numbers and their records in one script: one round trip, one moment.
    static constexpr std::string_view kScript = R"LUA(
local seqs = redis.call('ZRANGEBYSCORE', ARGV[1], '(' .. ARGV[3], '+inf', 'LIMIT', 0, tonumber(ARGV[4]))
if #seqs == 0 then return {} end
local recs = redis.call('HMGET', ARGV[2], unpack(seqs))
local out = {}
for k = 1, #seqs do
  out[#out + 1] = seqs[k]
  out[#out + 1] = recs[k] or ''
end
return out
)LUA";
    std::vector<LogEntry> out;
    if (limit == 0) return out;
    Owned owned;
    const auto l = std::string(Key(log, owned));
    const std::string set = l + (index.empty() ? ":all" : ":ix:" + std::string(index)), recs = l + ":rec";
    const std::string from = std::to_string(after), most = std::to_string(std::min<size_t>(limit, 5000));
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Eval(kScript, {set, recs}, {set, recs, from, most}, Call::kRead));
    if (r->type != REDIS_REPLY_ARRAY) return Internal("Redis: unexpected log read reply");
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
      LogEntry e;
      try {
        e.seq = std::stoll(std::string(r->element[k]->str, r->element[k]->len));
      } catch (...) {
        return Internal("Redis: log " + std::string(log) + " holds a number that is not one");
      }
      e.record.assign(r->element[k + 1]->str, r->element[k + 1]->len);
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<size_t> LogTrim(std::string_view log, std::string_view seen_key, long long below, size_t most) override {
    // Idempotent: a script stopped part way (a cluster slot migrating under
    // an index it had not declared) is completed by running it again.
    static constexpr std::string_view kScript = R"LUA(
local log = ARGV[1]
local seqs = redis.call('ZRANGEBYSCORE', log .. ':all', '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, seq in ipairs(seqs) do
  local meta = redis.call('HGET', log .. ':meta', seq)
  if meta then
    local first = true
    for part in string.gmatch(meta, '[^\n]+') do
      if first then
        redis.call('SREM', ARGV[2], part)
        first = false
      else
        redis.call('ZREM', log .. ':ix:' .. part, seq)
      end
    end
  end
  redis.call('HDEL', log .. ':rec', seq)
  redis.call('HDEL', log .. ':meta', seq)
  redis.call('ZREM', log .. ':all', seq)
  redis.call('ZREM', log .. ':time', seq)
end
return #seqs
)LUA";
    Owned owned;
    const auto l = std::string(Key(log, owned));
    const auto seen = Key(seen_key, owned);
    const std::string b = std::to_string(below), m = std::to_string(most);
    const std::string all = l + ":all", meta = l + ":meta", rec = l + ":rec", time = l + ":time";
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Eval(kScript, {all, meta, rec, time, seen}, {l, seen, b, m}, Call::kIdempotentWrite));
    return static_cast<size_t>(r->integer);
  }

  Result<std::optional<long long>> LogSeek(std::string_view log, long long time) override {
    Owned owned;
    const std::string key = std::string(Key(log, owned)) + ":time", from = std::to_string(time);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(key), {"ZRANGEBYSCORE", key, from, "+inf", "LIMIT", "0", "1"}, Call::kRead));
    if (r->type != REDIS_REPLY_ARRAY) return Internal("Redis: unexpected log seek reply");
    if (r->elements == 0) return std::optional<long long>();
    try {
      return std::optional<long long>(std::stoll(std::string(r->element[0]->str, r->element[0]->len)));
    } catch (...) {
      return Internal("Redis: log " + std::string(log) + " holds a number that is not one");
    }
  }

  Status LogAddIndexes(std::string_view log, const std::vector<LogIndexing>& additions) override {
    // ARGV: log, then per record: number, how many names, the names.
    static constexpr std::string_view kScript = R"LUA(
local log = ARGV[1]
local i = 2
while i <= #ARGV do
  local seq, n = ARGV[i], tonumber(ARGV[i + 1])
  local meta = redis.call('HGET', log .. ':meta', seq)
  if meta then
    local added = false
    for x = 1, n do
      if redis.call('ZADD', log .. ':ix:' .. ARGV[i + 1 + x], seq, seq) == 1 then
        meta = meta .. '\n' .. ARGV[i + 1 + x]
        added = true
      end
    end
    if added then redis.call('HSET', log .. ':meta', seq, meta) end
  end
  i = i + 2 + n
end
return 0
)LUA";
    if (additions.empty()) return Status::Ok();
    Owned owned;
    const std::string& l = owned.emplace_back(Key(log, owned));
    Args keys = {owned.emplace_back(l + ":meta")}, args = {l};
    std::set<std::string_view> declared;
    for (const auto& a : additions) {
      args.push_back(Number(owned, a.seq));
      args.push_back(Number(owned, static_cast<long long>(a.indexes.size())));
      for (const auto& n : a.indexes) {
        args.push_back(n);
        if (declared.insert(n).second) keys.push_back(owned.emplace_back(l + ":ix:" + n));
      }
    }
    // Idempotent, so retried.
    return Eval(kScript, keys, args, Call::kIdempotentWrite).status();
  }

  Result<LogSize> LogStat(std::string_view log) override {
    static constexpr std::string_view kScript = R"LUA(
local all = ARGV[1] .. ':all'
local n = redis.call('ZCARD', all)
if n == 0 then return {0, 0, 0} end
return {n, tonumber(redis.call('ZRANGE', all, 0, 0)[1]), tonumber(redis.call('ZRANGE', all, -1, -1)[1])}
)LUA";
    Owned owned;
    const auto l = std::string(Key(log, owned));
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Eval(kScript, {owned.emplace_back(l + ":all")}, {l}, Call::kRead));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return Internal("Redis: unexpected log size reply");
    return LogSize{static_cast<size_t>(r->element[0]->integer), r->element[1]->integer, r->element[2]->integer};
  }

  Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out;
    if (keys.empty()) return out;
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(PerKey(keys, [](std::string_view k) { return Args{"GET", k}; }, [&](size_t, const redisReply& r) {
      if (r.type == REDIS_REPLY_STRING) out.emplace_back(std::string(r.str, r.len));
      else out.emplace_back(std::nullopt);
    }));
    return out;
  }

  Result<std::vector<bool>> Exists(const std::vector<std::string>& keys) override {
    std::vector<bool> out;
    if (keys.empty()) return out;
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(PerKey(keys, [](std::string_view k) { return Args{"EXISTS", k}; },
                               [&](size_t, const redisReply& r) { out.push_back(r.type == REDIS_REPLY_INTEGER && r.integer > 0); }));
    return out;
  }

  Result<std::vector<std::string>> IndexRange(std::string_view key, std::string_view after, size_t limit) override {
    std::vector<std::string> out;
    if (limit == 0) return out;
    Owned owned;
    const auto k = Key(key, owned);
    const std::string from = after.empty() ? std::string("-") : "(" + std::string(after);
    const std::string count = std::to_string(limit);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"ZRANGEBYLEX", k, from, "+", "LIMIT", "0", count}, Call::kRead));
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  Result<std::vector<std::string>> SetMembers(std::string_view key) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"SMEMBERS", k}, Call::kRead));
    std::vector<std::string> out;
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  // HSET only while the field holds ARGV[3]: 1 if written, else 0.
  static constexpr const char* kHashSetIfEqualScript =
      "if redis.call('HGET', ARGV[1], ARGV[2]) == ARGV[3] then redis.call('HSET', ARGV[1], ARGV[2], ARGV[4]) return 1 end return 0";

  Result<std::vector<long long>> Apply(const WriteBatch& batch) override {
    // MULTI ... EXEC sent as one pipeline: one round trip, applied atomically.
    Owned owned;
    Commands commands = {{"MULTI"}};
    int slot = -1;
    for (const auto& op : batch.ops()) {
      const auto k = Key(op.key, owned);
      const int op_slot = SlotOf(k);
      if (slot >= 0 && op_slot != slot) return Internal("a write batch spans key groups (" + batch.ops().front().key + ", " + op.key + "): a cluster cannot apply it atomically");
      slot = op_slot;
      switch (op.kind) {
        case WriteOp::Kind::kHashSet: commands.push_back({"HSET", k, op.field, op.value}); break;
        case WriteOp::Kind::kHashSetIfAbsent: commands.push_back({"HSETNX", k, op.field, op.value}); break;
        case WriteOp::Kind::kHashSetIfEqual: commands.push_back({"EVAL", kHashSetIfEqualScript, "1", k, k, op.field, op.expected, op.value}); break;
        case WriteOp::Kind::kHashDelete: commands.push_back({"HDEL", k, op.field}); break;
        case WriteOp::Kind::kIncr: commands.push_back({"INCR", k}); break;
        case WriteOp::Kind::kDelete: commands.push_back({"DEL", k}); break;
        case WriteOp::Kind::kSet: commands.push_back({"SET", k, op.value}); break;
        case WriteOp::Kind::kSetAdd: commands.push_back({"SADD", k, op.field}); break;
        case WriteOp::Kind::kSetRemove: commands.push_back({"SREM", k, op.field}); break;
        // Every member at score 0: the set orders them by their bytes (ZRANGEBYLEX).
        case WriteOp::Kind::kIndexAdd: commands.push_back({"ZADD", k, "0", op.field}); break;
        case WriteOp::Kind::kIndexRemove: commands.push_back({"ZREM", k, op.field}); break;
      }
    }
    commands.push_back({"EXEC"});
    Status first_error;
    std::vector<long long> out;
    bool aborted = false;
    auto on_reply = [&](size_t i, ReplyPtr reply) {
      const redisReply& r = *reply;
      if (r.type == REDIS_REPLY_ERROR && first_error.ok()) first_error = ReplyError(&r);
      if (i + 1 < commands.size()) return;
      // EXEC: one result per queued op.
      if (r.type != REDIS_REPLY_ARRAY) {
        aborted = true;
        return;
      }
      for (size_t k = 0; k < r.elements; ++k) {
        const redisReply* e = r.element[k];
        if (e->type == REDIS_REPLY_ERROR && first_error.ok()) first_error = ReplyError(e);
        out.push_back(e->type == REDIS_REPLY_INTEGER ? e->integer : e->type == REDIS_REPLY_STATUS ? 1 : 0);  // SET answers OK
      }
    };
    Status sent = Run(slot, commands, Call::kWrite, on_reply);
    if (!first_error.ok()) return first_error;
    ICB_RETURN_IF_ERROR(sent);
    if (aborted) return Internal("Redis: transaction aborted");
    return out;
  }

  // A versioned record is a hash: "v" its version, "d" its value.
  Result<std::optional<Versioned>> GetVersioned(std::string_view key) override {
    Owned owned;
    const auto k = Key(key, owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command(SlotOf(k), {"HMGET", k, "v", "d"}, Call::kRead));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Internal("Redis: unexpected HMGET reply for " + std::string(key));
    if (r->element[0]->type != REDIS_REPLY_STRING) return std::optional<Versioned>();
    Versioned out;
    out.version = std::strtoll(std::string(r->element[0]->str, r->element[0]->len).c_str(), nullptr, 10);
    if (r->element[1]->type == REDIS_REPLY_STRING) out.value.assign(r->element[1]->str, r->element[1]->len);
    return std::optional<Versioned>(std::move(out));
  }

  Result<std::vector<std::optional<Versioned>>> GetVersionedMany(const std::vector<std::string>& keys) override {
    std::vector<std::optional<Versioned>> out;
    if (keys.empty()) return out;
    out.reserve(keys.size());
    Status bad = Status::Ok();
    ICB_RETURN_IF_ERROR(PerKey(keys, [](std::string_view k) { return Args{"HMGET", k, "v", "d"}; }, [&](size_t, const redisReply& r) {
      if (r.type != REDIS_REPLY_ARRAY || r.elements != 2) {
        bad = Internal("Redis: unexpected HMGET reply");
        out.emplace_back(std::nullopt);
        return;
      }
      if (r.element[0]->type != REDIS_REPLY_STRING) {
        out.emplace_back(std::nullopt);
        return;
      }
      Versioned v;
      v.version = std::strtoll(std::string(r.element[0]->str, r.element[0]->len).c_str(), nullptr, 10);
      if (r.element[1]->type == REDIS_REPLY_STRING) v.value.assign(r.element[1]->str, r.element[1]->len);
      out.emplace_back(std::move(v));
    }));
    ICB_RETURN_IF_ERROR(bad);
    return out;
  }

  Result<std::vector<std::optional<long long>>> GetVersions(const std::vector<std::string>& keys) override {
    std::vector<std::optional<long long>> out;
    if (keys.empty()) return out;
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(PerKey(keys, [](std::string_view k) { return Args{"HGET", k, "v"}; }, [&](size_t, const redisReply& r) {
      if (r.type != REDIS_REPLY_STRING) {
        out.emplace_back(std::nullopt);
        return;
      }
      out.emplace_back(std::strtoll(std::string(r.str, r.len).c_str(), nullptr, 10));  // a few digits: no heap
    }));
    return out;
  }

  Result<std::vector<long long>> CompareAndSetAll(const std::vector<CasWrite>& writes, const std::vector<AppendGroup>& appends,
                                                  const Fence* fence) override {
    ICB_RETURN_IF_ERROR(CheckDistinctKeys(writes));
    ICB_RETURN_IF_ERROR(CheckAppendGroups(appends));
    // One script: the fence, every version check, the writes, their index
    // changes and the appends happen together or not at all (Redis runs a
    // script alone). Replies {0, new versions...} | {1, current version,
    // write number} | {2, latest epoch}. A write in ARGV: key, expected,
    // has value, value, adds, (set, member)..., removes, (set, member)...
    static const std::string kScript = std::string(kAppendGroupLua) + R"LUA(
if ARGV[1] == '1' then
  local latest = tonumber(redis.call('GET', ARGV[2]) or '0')
  if latest ~= tonumber(ARGV[3]) then return {2, latest} end
end
local n = tonumber(ARGV[4])
local i = 5
for w = 1, n do
  local current = tonumber(redis.call('HGET', ARGV[i], 'v') or '0')
  if current ~= tonumber(ARGV[i + 1]) then return {1, current, w} end
  i = i + 4
  i = i + 1 + 2 * tonumber(ARGV[i])
  i = i + 1 + 2 * tonumber(ARGV[i])
  i = i + 1 + 2 * tonumber(ARGV[i])
end
local out = {0}
i = 5
for w = 1, n do
  local key, expected = ARGV[i], tonumber(ARGV[i + 1])
  local next = 0
  if ARGV[i + 2] == '1' then
    next = expected + 1
    redis.call('HSET', key, 'v', next, 'd', ARGV[i + 3])
  else
    redis.call('DEL', key)
  end
  out[#out + 1] = next
  i = i + 4
  for k = 1, tonumber(ARGV[i]) do
    redis.call('SADD', ARGV[i + 2 * k - 1], ARGV[i + 2 * k])
  end
  i = i + 1 + 2 * tonumber(ARGV[i])
  for k = 1, tonumber(ARGV[i]) do
    redis.call('SREM', ARGV[i + 2 * k - 1], ARGV[i + 2 * k])
  end
  i = i + 1 + 2 * tonumber(ARGV[i])
  for k = 1, tonumber(ARGV[i]) do
    redis.call('ZADD', ARGV[i + 2 * k - 1], 0, ARGV[i + 2 * k])
  end
  i = i + 1 + 2 * tonumber(ARGV[i])
end
local k = tonumber(ARGV[i])
local groups = tonumber(ARGV[i + 1])
i = i + 2
for g = 1, groups do
  local added
  i, k, added = append_group(i, k)
end
return out
)LUA";
    Owned owned;
    Args keys, args = {fence ? "1" : "0"};
    auto key = [&](std::string_view k) {
      const auto cluster_key = Key(k, owned);
      keys.push_back(cluster_key);
      return cluster_key;
    };
    args.push_back(fence ? key(owned.emplace_back(LeaseEpochKey(fence->lease))) : std::string_view("-"));
    args.push_back(Number(owned, fence ? fence->epoch : 0));
    args.push_back(Number(owned, static_cast<long long>(writes.size())));
    for (const auto& w : writes) {
      args.push_back(key(w.key));
      args.push_back(Number(owned, w.expected));
      args.push_back(w.value ? "1" : "0");
      args.push_back(w.value ? std::string_view(*w.value) : std::string_view());
      for (const auto* list : {&w.set_add, &w.set_remove, &w.index_add}) {
        args.push_back(Number(owned, static_cast<long long>(list->size())));
        for (const auto& [set, member] : *list) {
          args.push_back(key(set));
          args.push_back(member);
        }
      }
    }
    args.push_back(Number(owned, static_cast<long long>(keys.size() + 1)));  // the groups' first key
    AddGroupArgs(appends, owned, keys, args);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Eval(kScript, keys, args, Call::kWrite));
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) return Internal("Redis: unexpected compare-and-set reply");
    long long code = r->element[0]->integer;
    if (code == 2) {
      return FailedPrecondition("stale lease epoch " + std::to_string(fence->epoch) + " for " + fence->lease + " (latest " +
                                std::to_string(r->element[1]->integer) + ")");
    }
    if (code == 1) {
      const CasWrite& w = writes.at(static_cast<size_t>(r->element[2]->integer - 1));
      return Aborted("record " + w.key + " is at version " + std::to_string(r->element[1]->integer) + ", not " + std::to_string(w.expected));
    }
    std::vector<long long> versions;
    for (size_t k = 1; k < r->elements; ++k) versions.push_back(r->element[k]->integer);
    if (versions.size() != writes.size()) return Internal("Redis: compare-and-set reply has the wrong number of versions");
    return versions;
  }

  Result<std::optional<Lease>> AcquireLease(std::string_view name, std::string_view holder, Millis ttl) override {
    // SET NX PX and the INCRed epoch in one script: no one sees the lease
    // taken without its new epoch. The value is "holder\nepoch".
    static constexpr std::string_view kScript = R"LUA(
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '\n', 1, true)
  if string.sub(cur, 1, sep - 1) ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(cur, sep + 1))
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. epoch, 'NX', 'PX', ARGV[2])
return epoch
)LUA";
    if (holder.find('\n') != std::string_view::npos) return InvalidArgument("a lease holder is one line");
    Owned owned;
    const std::string ms = std::to_string(std::max<long long>(1, ttl.count()));
    const auto key = Key(owned.emplace_back(LeaseKey(name)), owned), epoch_key = Key(owned.emplace_back(LeaseEpochKey(name)), owned);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Eval(kScript, {key, epoch_key}, {holder, ms}, Call::kWrite));
    if (r->type == REDIS_REPLY_NIL) return std::optional<Lease>();
    if (r->type != REDIS_REPLY_INTEGER) return Internal("Redis: unexpected lease reply");
    return std::optional<Lease>(Lease{std::string(holder), r->integer});
  }

  Status ReleaseLease(std::string_view name, const Lease& lease) override {
    static constexpr std::string_view kScript = R"LUA(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
)LUA";
    Owned owned;
    const auto key = Key(owned.emplace_back(LeaseKey(name)), owned);
    const std::string value = lease.holder + "\n" + std::to_string(lease.epoch);
    return Eval(kScript, {key}, {value}, Call::kWrite).status();
  }

 private:
  static std::string LeaseKey(std::string_view name) { return "icb:lease:" + std::string(name); }
  static std::string LeaseEpochKey(std::string_view name) { return "icb:lease:" + std::string(name) + ":epoch"; }

  static void Count(Counter* c) {
    if (c) c->Inc();
  }

  // The name a key has on the server. In a cluster, a key without a hash
  // tag (KeyGroup) is in the control group: tagged "{icb}", so every such
  // key shares one slot and any of them may be written together.
  std::string_view Key(std::string_view key, Owned& owned) const {
    if (!cluster_ || ClusterHashPart(key).size() != key.size()) return key;
    return owned.emplace_back("{icb}" + std::string(key));
  }

  // The slot a call on (server-named) `key` goes to; -1 off a cluster.
  int SlotOf(std::string_view key) const { return cluster_ ? ClusterSlotOf(key) : -1; }

  // The arguments kAppendGroupLua reads (after the number of groups), and
  // every key it touches declared in `keys`, in its order: a cluster then
  // refuses the script before it runs (TRYAGAIN) while any of them is being
  // migrated, instead of stopping it part way.
  void AddGroupArgs(const std::vector<AppendGroup>& groups, Owned& owned, Args& keys, Args& args) const {
    args.push_back(Number(owned, static_cast<long long>(groups.size())));
    for (const auto& g : groups) {
      const size_t first_key = keys.size();
      const auto seen = Key(g.seen_key, owned), data = Key(g.data_key, owned);
      keys.push_back(seen);
      args.push_back(g.log ? "l" : "s");
      const size_t key_count = args.size();
      args.emplace_back();  // known once the keys are
      if (!g.log) {
        keys.push_back(data);
        args.push_back(Number(owned, static_cast<long long>(g.items.size())));
        for (const auto& [set, member] : g.listed_in) {
          keys.push_back(Key(set, owned));
          args.push_back(member);
        }
        for (const auto& [member, record] : g.items) {
          args.push_back(member);
          args.push_back(record);
        }
        args[key_count] = Number(owned, static_cast<long long>(keys.size() - first_key));
        continue;
      }
      for (const char* part : {":seq", ":rec", ":all", ":time", ":meta"}) keys.push_back(owned.emplace_back(std::string(data) + part));
      args.push_back(seen);
      args.push_back(data);
      args.push_back(Number(owned, static_cast<long long>(g.items.size())));
      std::set<std::string_view> indexes;
      for (size_t k = 0; k < g.items.size(); ++k) {
        args.push_back(g.items[k].first);
        args.push_back(g.items[k].second);
        args.push_back(k < g.times.size() ? Number(owned, g.times[k]) : std::string_view());
        const std::vector<std::string> none;
        const auto& names = k < g.indexes.size() ? g.indexes[k] : none;
        args.push_back(Number(owned, static_cast<long long>(names.size())));
        for (const auto& n : names) {
          args.push_back(n);
          if (indexes.insert(n).second) keys.push_back(owned.emplace_back(std::string(data) + ":ix:" + n));
        }
      }
      args[key_count] = Number(owned, static_cast<long long>(keys.size() - first_key));
    }
  }

  // Groups and set adds whose keys share one slot, as one script: atomic
  // (Redis runs it alone, and writes its effects to the AOF as one
  // transaction), durable when it returns. Its reply: how many were new.
  // The set adds go one SADD per set (a batch of samples lists many series
  // of a few providers).
  Args AppendCommand(const std::vector<AppendGroup>& groups, const std::vector<std::pair<std::string, std::string>>& set_adds,
                     Owned& owned) const {
    static const std::string kScript = std::string(kAppendGroupLua) + R"LUA(
local n, i, k = 0, 2, 1
for g = 1, tonumber(ARGV[1]) do
  local added
  i, k, added = append_group(i, k)
  n = n + added
end
i = i + 1
for s = 1, tonumber(ARGV[i - 1]) do
  local count = tonumber(ARGV[i])
  -- unpack puts its values on Lua's C stack: a few thousand at a time
  for from = i + 1, i + count, 4000 do
    redis.call('SADD', KEYS[k], unpack(ARGV, from, math.min(from + 3999, i + count)))
  end
  i = i + 1 + count
  k = k + 1
end
return n
)LUA";
    Args keys, args;
    AddGroupArgs(groups, owned, keys, args);
    std::map<std::string_view, std::vector<std::string_view>> sets;
    for (const auto& [set, member] : set_adds) sets[Key(set, owned)].push_back(member);
    args.push_back(Number(owned, static_cast<long long>(sets.size())));
    for (const auto& [set, members] : sets) {
      keys.push_back(set);
      args.push_back(Number(owned, static_cast<long long>(members.size())));
      args.insert(args.end(), members.begin(), members.end());
    }
    return EvalCommand(kScript, keys, args, owned);
  }

  // EVAL with its keys declared (routed by the first; a cluster refuses
  // keys of several slots with CROSSSLOT) and its arguments.
  Result<ReplyPtr> Eval(std::string_view script, const Args& keys, const Args& args, Call call) {
    Owned owned;
    return Command(keys.empty() ? -1 : SlotOf(keys.front()), EvalCommand(script, keys, args, owned), call);
  }

  static Args EvalCommand(std::string_view script, const Args& keys, const Args& args, Owned& owned) {
    Args command = {"EVAL", script, Number(owned, static_cast<long long>(keys.size()))};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    return command;
  }

  // How many replicas a write waits for (WAIT after it).
  bool Waits(Call call) const { return call != Call::kRead && opt_.replica_acks > 0; }

  // The reply to the WAIT sent after a write.
  Status CheckReplicaAcks(const redisReply& r) const {
    if (r.type == REDIS_REPLY_ERROR) return ReplyError(&r);
    const long long got = r.type == REDIS_REPLY_INTEGER ? r.integer : 0;
    if (got >= opt_.replica_acks) return Status::Ok();
    return Unavailable("Redis: the write reached " + std::to_string(got) + " of the " + std::to_string(opt_.replica_acks) +
                       " replicas required within " + std::to_string(opt_.replica_ack_timeout.count()) +
                       " ms; it was not acknowledged, since a Sentinel promotion now would lose it");
  }

  // What one round trip came to.
  struct Outcome {
    Status status;           // Unavailable: no connection, or it broke or timed out
    bool closed = false;     // it broke before any reply: Redis closed it (a restart), so a retry may succeed
    Status acked;            // after a write: the WAIT's verdict
  };

  // One round trip on one connection of `server`: ASKING first when
  // `asking`, then every command, then WAIT after a write (Waits). Each
  // reply is handed to on_reply as it arrives (a caller that need not keep
  // it frees it at once: a month of samples is ~100 replies of 200 KiB).
  Outcome Exchange(ServerPool& server, const Commands& commands, Call call, bool asking, const std::function<void(size_t, ReplyPtr)>& on_reply) {
    Outcome o;
    Count(opt_.round_trips);
    auto borrowed = server.Borrow();
    if (!borrowed.ok()) {
      Count(opt_.errors);
      o.status = borrowed.status();
      return o;
    }
    Conn c = std::move(borrowed).value();
    std::string formatted;
    auto append = [&](const Args& args) {
      FormatCommand(args, formatted);
      redisAppendFormattedCommand(c.ctx.get(), formatted.data(), formatted.size());
    };
    if (asking) append({"ASKING"});
    for (const auto& args : commands) append(args);
    const bool waits = Waits(call);
    const std::string n = std::to_string(opt_.replica_acks), ms = std::to_string(opt_.replica_ack_timeout.count());
    if (waits) append({"WAIT", n, ms});
    bool demoted = false;
    const size_t first = asking ? 1 : 0, total = first + commands.size() + (waits ? 1 : 0);
    for (size_t i = 0; i < total; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.ctx.get(), &raw) != REDIS_OK) {
        Count(opt_.errors);
        const size_t at = i < first ? 0 : i - first;
        o.status = ContextError(c.ctx.get(), at < commands.size() ? commands[at].front() : "WAIT");
        o.closed = i == 0 && !o.status.message().starts_with("Redis timed out");
        server.Return(std::move(c));
        return o;
      }
      ReplyPtr r(static_cast<redisReply*>(raw));
      demoted = demoted || SaysDemoted(*r);
      if (i < first) continue;  // ASKING's OK
      if (i - first < commands.size()) on_reply(i - first, std::move(r));
      else o.acked = CheckReplicaAcks(*r);
    }
    if (!o.acked.ok()) Count(opt_.errors);
    server.Return(std::move(c), demoted);
    return o;
  }

  // Runs `commands`, all on keys of `slot` (-1: none, or off a cluster), in
  // one round trip and hands over their replies in order. Off a cluster,
  // each as it arrives. On a cluster, once none asks to be sent elsewhere:
  // MOVED and ASK are followed, TRYAGAIN and CLUSTERDOWN waited out, for up
  // to cluster_retry_budget.
  Status Run(int slot, const Commands& commands, Call call, const std::function<void(size_t, ReplyPtr)>& on_reply) {
    if (!cluster_) {
      for (int attempt = 0;; ++attempt) {
        Outcome o = Exchange(*single_, commands, call, false, on_reply);
        if (o.status.ok()) return o.acked;
        // A connection Redis closed (it restarted) is retried once on a new
        // one; one that timed out is not: the request has waited enough.
        if (call == Call::kWrite || attempt > 0 || !o.closed) return o.status;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + opt_.cluster_retry_budget;
    std::string ask;  // the node an ASK named, for this once
    auto backoff = std::chrono::milliseconds(5);
    for (int attempt = 0;; ++attempt) {
      ServerPool* server = nullptr;
      if (!ask.empty()) {
        server = nodes_->Named(ask);
      } else {
        ICB_ASSIGN_OR_RETURN(server, nodes_->OfSlot(slot));
      }
      std::vector<ReplyPtr> replies(commands.size());
      Outcome o = Exchange(*server, commands, call, !ask.empty(), [&](size_t i, ReplyPtr r) { replies[i] = std::move(r); });
      if (!o.status.ok()) {
        nodes_->Stale();  // the node may have failed over: its slots are elsewhere
        if (call != Call::kWrite && attempt == 0 && o.closed) continue;
        return o.status;
      }
      const Redirect d = FirstRedirect(replies);
      if (d.kind == Redirect::kNone) {
        for (size_t i = 0; i < replies.size(); ++i) on_reply(i, std::move(replies[i]));
        return o.acked;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        Count(opt_.errors);
        return Unavailable("Redis Cluster: slot " + std::to_string(slot) + " still answers '" + d.why + "' after " +
                           std::to_string(opt_.cluster_retry_budget.count()) + " ms");
      }
      Count(opt_.redirections);
      ask.clear();
      if (d.kind == Redirect::kMoved) {
        nodes_->Moved(d.slot, d.node);
      } else if (d.kind == Redirect::kAsk) {
        ask = d.node;
      } else {
        if (d.why.starts_with("CLUSTERDOWN")) nodes_->Stale();
        std::this_thread::sleep_for(backoff);  // a slot's keys migrate in milliseconds
        backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
      }
    }
  }

  // One command (and WAIT after a write): its reply, or the error it is.
  Result<ReplyPtr> Command(int slot, const Args& args, Call call) {
    ReplyPtr reply;
    ICB_RETURN_IF_ERROR(Run(slot, {args}, call, [&](size_t, ReplyPtr r) { reply = std::move(r); }));
    if (reply->type == REDIS_REPLY_ERROR) {
      Count(opt_.errors);
      return ReplyError(reply.get());
    }
    return reply;
  }

  // One command per key, pipelined: one round trip (per master on a
  // cluster). Replies are handed over in the order of `keys`.
  Status PerKey(const std::vector<std::string>& keys, const std::function<Args(std::string_view)>& command,
                const std::function<void(size_t, const redisReply&)>& on_reply) {
    Owned owned;
    Commands commands;
    std::vector<int> slots;
    commands.reserve(keys.size());
    for (const auto& k : keys) {
      const auto key = Key(k, owned);
      commands.push_back(command(key));
      slots.push_back(SlotOf(key));
    }
    return PerSlot(slots, commands, Call::kRead, on_reply);
  }

  // Commands each on keys of its own slot (`slots`, in order), pipelined:
  // one round trip per master. Replies are handed over in order. A command
  // whose slot moved meanwhile is sent again on its own and redirected
  // (the server applied nothing). A write fails as a whole when a master
  // does not answer, though others may have applied theirs: callers' writes
  // are idempotent.
  Status PerSlot(const std::vector<int>& slots, const Commands& commands, Call call, const std::function<void(size_t, const redisReply&)>& on_reply) {
    if (!cluster_) return Run(-1, commands, call, [&](size_t i, ReplyPtr r) { on_reply(i, *r); });
    std::map<ServerPool*, std::vector<size_t>> by_node;
    for (size_t i = 0; i < commands.size(); ++i) {
      ICB_ASSIGN_OR_RETURN(ServerPool * node, nodes_->OfSlot(slots[i]));
      by_node[node].push_back(i);
    }
    std::vector<ReplyPtr> replies(commands.size());
    for (const auto& entry : by_node) {
      const std::vector<size_t>& indices = entry.second;
      Commands part;
      for (size_t i : indices) part.push_back(commands[i]);
      Outcome o = Exchange(*entry.first, part, call, false, [&](size_t k, ReplyPtr r) { replies[indices[k]] = std::move(r); });
      if (!o.status.ok()) {
        nodes_->Stale();
        return o.status;
      }
      ICB_RETURN_IF_ERROR(o.acked);
    }
    for (size_t i = 0; i < replies.size(); ++i) {
      if (RedirectOf(*replies[i]).kind == Redirect::kNone) {
        on_reply(i, *replies[i]);
        continue;
      }
      Count(opt_.redirections);
      ICB_RETURN_IF_ERROR(Run(slots[i], {commands[i]}, call, [&](size_t, ReplyPtr r) { on_reply(i, *r); }));
    }
    return Status::Ok();
  }

  RedisStoreOptions opt_;
  const bool cluster_;
  std::unique_ptr<ServerPool> single_;   // off a cluster
  std::unique_ptr<ClusterNodes> nodes_;  // on one
};

}  // namespace

std::unique_ptr<Store> NewRedisStore(RedisStoreOptions options) {
  // hiredis writes with write(2), not send(MSG_NOSIGNAL): writing to a Redis
  // that died would raise SIGPIPE and kill the whole process instead of
  // failing one call with Unavailable.
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
  return std::make_unique<RedisStoreImpl>(std::move(options));
}

}  // namespace icb
