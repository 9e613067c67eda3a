#include "broker/store/redis_store.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <csignal>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
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
    for (size_t at = 0; at <= hosts.size();) {
      const size_t comma = std::min(hosts.find(',', at), hosts.size());
      ICB_ASSIGN_OR_RETURN(auto sentinel, ParseHostPort(hosts.substr(at, comma - at), 26379));
      a.sentinels.push_back(std::move(sentinel));
      at = comma + 1;
    }
    return a;
  }
  if (!url.starts_with("redis://")) return BadRedisUrl("expected redis://, unix:// or sentinel://");
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

// The Lua both append scripts share: applies one AppendGroup from ARGV[i]
// on (seen, data, mode, count, then per item: member, record, time or '',
// index count, index names...) and returns the next i and how many were
// new. Mode 'l': data is an indexed log: DATA:seq (the last number given),
// DATA:rec (number -> record), DATA:meta (number -> member and index names,
// for LogTrim), DATA:all and DATA:ix:NAME (sorted sets of numbers scored by
// number), DATA:time (numbers scored by time, for LogSeek).
constexpr std::string_view kAppendGroupLua = R"LUA(
local function append_group(i)
  local seen, data, mode, count = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local n = 0
  for k = 1, count do
    local member, record, time, nidx = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
    if redis.call('SADD', seen, member) == 1 then
      n = n + 1
      if mode == 'l' then
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
      else
        redis.call('APPEND', data, record)
      end
    end
    i = i + 4 + nidx
  end
  return i, n
end
)LUA";

// The arguments kAppendGroupLua reads, after the number of groups.
void AddGroupArgs(const std::vector<AppendGroup>& groups, std::deque<std::string>& numbers, std::vector<std::string_view>& args) {
  args.push_back(numbers.emplace_back(std::to_string(groups.size())));
  for (const auto& g : groups) {
    args.push_back(g.seen_key);
    args.push_back(g.data_key);
    args.push_back(g.log ? "l" : "s");
    args.push_back(numbers.emplace_back(std::to_string(g.items.size())));
    for (size_t k = 0; k < g.items.size(); ++k) {
      args.push_back(g.items[k].first);
      args.push_back(g.items[k].second);
      args.push_back(g.log && k < g.times.size() ? std::string_view(numbers.emplace_back(std::to_string(g.times[k]))) : std::string_view());
      const std::vector<std::string> none;
      const auto& names = g.log && k < g.indexes.size() ? g.indexes[k] : none;
      args.push_back(numbers.emplace_back(std::to_string(names.size())));
      for (const auto& n : names) args.push_back(n);
    }
  }
}

class RedisStoreImpl final : public Store {
 public:
  explicit RedisStoreImpl(RedisStoreOptions o) : opt_(std::move(o)) {}

  Status Ping() override {
    auto r = Command({"PING"}, Call::kRead);
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<std::optional<std::string>> HashGet(std::string_view key, std::string_view field) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"HGET", key, field}, Call::kRead));
    if (r->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    return std::optional<std::string>(std::string(r->str, r->len));
  }

  Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"HGETALL", key}, Call::kRead));
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      out.emplace_back(std::string(r->element[i]->str, r->element[i]->len), std::string(r->element[i + 1]->str, r->element[i + 1]->len));
    }
    return out;
  }

  Result<std::vector<std::string>> HashKeys(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"HKEYS", key}, Call::kRead));
    std::vector<std::string> out;
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  Result<std::vector<std::optional<std::string>>> HashGetMany(std::string_view key, const std::vector<std::string>& fields) override {
    std::vector<std::optional<std::string>> out;
    if (fields.empty()) return out;
    std::vector<std::string_view> args{"HMGET", key};
    args.insert(args.end(), fields.begin(), fields.end());
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs(args, Call::kRead));
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply& e = *r->element[i];
      if (e.type == REDIS_REPLY_STRING) out.emplace_back(std::string(e.str, e.len));
      else out.emplace_back(std::nullopt);
    }
    return out;
  }

  Result<long long> GetCounter(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"GET", key}, Call::kRead));
    if (r->type == REDIS_REPLY_NIL) return 0LL;
    try {
      return std::stoll(std::string(r->str, r->len));
    } catch (...) {
      return Internal("counter " + std::string(key) + " is not an integer");
    }
  }

  Result<long long> AppendUnique(const std::vector<AppendGroup>& groups,
                                 const std::vector<std::pair<std::string, std::string>>& set_adds) override {
    // One script call: atomic (Redis runs it alone, and writes its effects to
    // the AOF as one transaction), durable when it returns, one round trip.
    static const std::string kScript = std::string(kAppendGroupLua) + R"LUA(
local n, i = 0, 2
for g = 1, tonumber(ARGV[1]) do
  local added
  i, added = append_group(i)
  n = n + added
end
for s = 1, tonumber(ARGV[i]) do
  redis.call('SADD', ARGV[i + 1], ARGV[i + 2])
  i = i + 2
end
return n
)LUA";
    std::deque<std::string> numbers;  // keeps the number strings alive for argv (no reallocation)
    std::vector<std::string_view> args = {"EVAL", kScript, "0"};
    AddGroupArgs(groups, numbers, args);
    args.push_back(numbers.emplace_back(std::to_string(set_adds.size())));
    for (const auto& [set, member] : set_adds) {
      args.push_back(set);
      args.push_back(member);
    }
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs(args, Call::kWrite));
    return static_cast<long long>(r->integer);
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
    const std::string set = std::string(log) + (index.empty() ? ":all" : ":ix:" + std::string(index));
    const std::string recs = std::string(log) + ":rec";
    const std::string from = std::to_string(after), most = std::to_string(std::min<size_t>(limit, 5000));
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs({"EVAL", kScript, "0", set, recs, from, most}, Call::kRead));
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
    const std::string b = std::to_string(below), m = std::to_string(most);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs({"EVAL", kScript, "0", log, seen_key, b, m}, Call::kWrite));
    return static_cast<size_t>(r->integer);
  }

  Result<std::optional<long long>> LogSeek(std::string_view log, long long time) override {
    const std::string key = std::string(log) + ":time", from = std::to_string(time);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"ZRANGEBYSCORE", key, from, "+inf", "LIMIT", "0", "1"}, Call::kRead));
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
    std::deque<std::string> numbers;
    std::vector<std::string_view> args = {"EVAL", kScript, "0", log};
    for (const auto& a : additions) {
      args.push_back(numbers.emplace_back(std::to_string(a.seq)));
      args.push_back(numbers.emplace_back(std::to_string(a.indexes.size())));
      for (const auto& n : a.indexes) args.push_back(n);
    }
    // Idempotent, so retried.
    return CommandArgs(args, Call::kIdempotentWrite).status();
  }

  Result<LogSize> LogStat(std::string_view log) override {
    static constexpr std::string_view kScript = R"LUA(
local all = ARGV[1] .. ':all'
local n = redis.call('ZCARD', all)
if n == 0 then return {0, 0, 0} end
return {n, tonumber(redis.call('ZRANGE', all, 0, 0)[1]), tonumber(redis.call('ZRANGE', all, -1, -1)[1])}
)LUA";
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs({"EVAL", kScript, "0", log}, Call::kRead));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return Internal("Redis: unexpected log size reply");
    return LogSize{static_cast<size_t>(r->element[0]->integer), r->element[1]->integer, r->element[2]->integer};
  }

  Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out;
    if (keys.empty()) return out;
    std::vector<std::vector<std::string_view>> commands;
    commands.reserve(keys.size());
    for (const auto& k : keys) commands.push_back({"GET", k});
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(Pipeline(commands, [&](size_t, const redisReply& r) {
      if (r.type == REDIS_REPLY_STRING) out.emplace_back(std::string(r.str, r.len));
      else out.emplace_back(std::nullopt);
    }));
    return out;
  }

  Result<std::vector<bool>> Exists(const std::vector<std::string>& keys) override {
    std::vector<bool> out;
    if (keys.empty()) return out;
    std::vector<std::vector<std::string_view>> commands;
    commands.reserve(keys.size());
    for (const auto& k : keys) commands.push_back({"EXISTS", k});
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(Pipeline(commands, [&](size_t, const redisReply& r) { out.push_back(r.type == REDIS_REPLY_INTEGER && r.integer > 0); }));
    return out;
  }

  Result<std::vector<std::string>> IndexRange(std::string_view key, std::string_view after, size_t limit) override {
    std::vector<std::string> out;
    if (limit == 0) return out;
    const std::string from = after.empty() ? std::string("-") : "(" + std::string(after);
    const std::string count = std::to_string(limit);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"ZRANGEBYLEX", key, from, "+", "LIMIT", "0", count}, Call::kRead));
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  Result<std::vector<std::string>> SetMembers(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"SMEMBERS", key}, Call::kRead));
    std::vector<std::string> out;
    for (size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    return out;
  }

  // HSET only while the field holds ARGV[3]: 1 if written, else 0.
  static constexpr const char* kHashSetIfEqualScript =
      "if redis.call('HGET', ARGV[1], ARGV[2]) == ARGV[3] then redis.call('HSET', ARGV[1], ARGV[2], ARGV[4]) return 1 end return 0";

  Result<std::vector<long long>> Apply(const WriteBatch& batch) override {
    // MULTI ... EXEC sent as one pipeline: one round trip, applied atomically.
    std::vector<std::vector<std::string_view>> commands = {{"MULTI"}};
    for (const auto& op : batch.ops()) {
      switch (op.kind) {
        case WriteOp::Kind::kHashSet: commands.push_back({"HSET", op.key, op.field, op.value}); break;
        case WriteOp::Kind::kHashSetIfAbsent: commands.push_back({"HSETNX", op.key, op.field, op.value}); break;
        case WriteOp::Kind::kHashSetIfEqual: commands.push_back({"EVAL", kHashSetIfEqualScript, "0", op.key, op.field, op.expected, op.value}); break;
        case WriteOp::Kind::kHashDelete: commands.push_back({"HDEL", op.key, op.field}); break;
        case WriteOp::Kind::kIncr: commands.push_back({"INCR", op.key}); break;
        case WriteOp::Kind::kDelete: commands.push_back({"DEL", op.key}); break;
        case WriteOp::Kind::kSet: commands.push_back({"SET", op.key, op.value}); break;
        case WriteOp::Kind::kSetAdd: commands.push_back({"SADD", op.key, op.field}); break;
        case WriteOp::Kind::kSetRemove: commands.push_back({"SREM", op.key, op.field}); break;
        // Every member at score 0: the set orders them by their bytes (ZRANGEBYLEX).
        case WriteOp::Kind::kIndexAdd: commands.push_back({"ZADD", op.key, "0", op.field}); break;
        case WriteOp::Kind::kIndexRemove: commands.push_back({"ZREM", op.key, op.field}); break;
      }
    }
    commands.push_back({"EXEC"});
    Status first_error;
    std::vector<long long> out;
    bool aborted = false;
    auto on_reply = [&](size_t i, const redisReply& r) {
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
    Status sent = Pipeline(commands, on_reply, Call::kWrite);
    if (!first_error.ok()) return first_error;
    ICB_RETURN_IF_ERROR(sent);
    if (!first_error.ok()) return first_error;
    if (aborted) return Internal("Redis: transaction aborted");
    return out;
  }

  // A versioned record is a hash: "v" its version, "d" its value.
  Result<std::optional<Versioned>> GetVersioned(std::string_view key) override {
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, Command({"HMGET", key, "v", "d"}, Call::kRead));
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
    std::vector<std::vector<std::string_view>> commands;
    commands.reserve(keys.size());
    for (const auto& k : keys) commands.push_back({"HMGET", k, "v", "d"});
    out.reserve(keys.size());
    Status bad = Status::Ok();
    ICB_RETURN_IF_ERROR(Pipeline(commands, [&](size_t, const redisReply& r) {
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
    std::vector<std::vector<std::string_view>> commands;
    commands.reserve(keys.size());
    for (const auto& k : keys) commands.push_back({"HGET", k, "v"});
    out.reserve(keys.size());
    ICB_RETURN_IF_ERROR(Pipeline(commands, [&](size_t, const redisReply& r) {
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
local groups = tonumber(ARGV[i])
i = i + 1
for g = 1, groups do
  local added
  i, added = append_group(i)
end
return out
)LUA";
    std::deque<std::string> numbers;  // keeps the number strings alive for argv (no reallocation)
    auto number = [&](long long v) -> std::string_view { return numbers.emplace_back(std::to_string(v)); };
    std::vector<std::string_view> args = {"EVAL", kScript, "0", fence ? "1" : "0"};
    args.push_back(fence ? std::string_view(numbers.emplace_back(LeaseEpochKey(fence->lease))) : std::string_view("-"));
    args.push_back(number(fence ? fence->epoch : 0));
    args.push_back(number(static_cast<long long>(writes.size())));
    for (const auto& w : writes) {
      args.push_back(w.key);
      args.push_back(number(w.expected));
      args.push_back(w.value ? "1" : "0");
      args.push_back(w.value ? std::string_view(*w.value) : std::string_view());
      args.push_back(number(static_cast<long long>(w.set_add.size())));
      for (const auto& [set, member] : w.set_add) {
        args.push_back(set);
        args.push_back(member);
      }
      args.push_back(number(static_cast<long long>(w.set_remove.size())));
      for (const auto& [set, member] : w.set_remove) {
        args.push_back(set);
        args.push_back(member);
      }
      args.push_back(number(static_cast<long long>(w.index_add.size())));
      for (const auto& [index, member] : w.index_add) {
        args.push_back(index);
        args.push_back(member);
      }
    }
    AddGroupArgs(appends, numbers, args);
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs(args, Call::kWrite));
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
    std::string key = LeaseKey(name), epoch_key = LeaseEpochKey(name), ms = std::to_string(std::max<long long>(1, ttl.count()));
    ICB_ASSIGN_OR_RETURN(ReplyPtr r, CommandArgs({"EVAL", kScript, "2", key, epoch_key, holder, ms}, Call::kWrite));
    if (r->type == REDIS_REPLY_NIL) return std::optional<Lease>();
    if (r->type != REDIS_REPLY_INTEGER) return Internal("Redis: unexpected lease reply");
    return std::optional<Lease>(Lease{std::string(holder), r->integer});
  }

  Status ReleaseLease(std::string_view name, const Lease& lease) override {
    static constexpr std::string_view kScript = R"LUA(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
)LUA";
    std::string key = LeaseKey(name), value = lease.holder + "\n" + std::to_string(lease.epoch);
    auto r = CommandArgs({"EVAL", kScript, "1", key, value}, Call::kWrite);
    return r.ok() ? Status::Ok() : r.status();
  }

 private:
  static std::string LeaseKey(std::string_view name) { return "icb:lease:" + std::string(name); }
  static std::string LeaseEpochKey(std::string_view name) { return "icb:lease:" + std::string(name) + ":epoch"; }

  static void Count(Counter* c) {
    if (c) c->Inc();
  }

  // A pooled connection and the generation of the pool it was dialled in:
  // once the store found its server gone or demoted (MarkDown), connections
  // of an older generation are closed when they come back, not reused.
  struct Conn {
    ContextPtr ctx;
    uint64_t generation = 0;
  };

  // How a call may be repeated and acknowledged. A read is retried once on a
  // new connection when Redis closed the old one; a write is not (it may
  // have been applied), unless it is idempotent; every write waits for
  // opt_.replica_acks replicas.
  enum class Call { kRead, kWrite, kIdempotentWrite };

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

  // A reply that says the server is a replica now: the connection's master
  // was demoted, so the pool dials afresh (asking the Sentinels again).
  static bool SaysDemoted(const redisReply& r) {
    return r.type == REDIS_REPLY_ERROR && std::string_view(r.str, r.len).starts_with("READONLY");
  }

  // Sends every command on one borrowed connection, then reads every reply:
  // one round trip. Each reply is handed to on_reply as it arrives and freed
  // right after (a month of samples is ~100 replies of 200 KiB: holding them
  // all doubles the memory touched). A broken connection fails the pipeline.
  // A write pipeline ends with WAIT (Waits).
  Status Pipeline(const std::vector<std::vector<std::string_view>>& commands,
                  const std::function<void(size_t, const redisReply&)>& on_reply, Call call = Call::kRead) {
    Count(opt_.round_trips);
    auto borrowed = Borrow();
    if (!borrowed.ok()) Count(opt_.errors);
    ICB_ASSIGN_OR_RETURN(Conn c, std::move(borrowed));
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& args : commands) {
      argv.clear();
      lens.clear();
      for (auto a : args) { argv.push_back(a.data()); lens.push_back(a.size()); }
      redisAppendCommandArgv(c.ctx.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
    }
    const bool waits = Waits(call);
    if (waits) AppendWait(c);
    bool demoted = false;
    Status acked;
    for (size_t i = 0; i < commands.size() + (waits ? 1 : 0); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.ctx.get(), &raw) != REDIS_OK) {
        Count(opt_.errors);
        Status s = ContextError(c.ctx.get(), i < commands.size() ? commands[i].front() : "WAIT");
        Return(std::move(c));
        return s;
      }
      ReplyPtr r(static_cast<redisReply*>(raw));
      demoted = demoted || SaysDemoted(*r);
      if (i < commands.size()) on_reply(i, *r);
      else acked = CheckReplicaAcks(*r);
    }
    if (!acked.ok()) Count(opt_.errors);
    Return(std::move(c), demoted);
    return acked;
  }

  void AppendWait(Conn& c) {
    const std::string n = std::to_string(opt_.replica_acks), ms = std::to_string(opt_.replica_ack_timeout.count());
    const char* argv[] = {"WAIT", n.c_str(), ms.c_str()};
    const size_t lens[] = {4, n.size(), ms.size()};
    redisAppendCommandArgv(c.ctx.get(), 3, argv, lens);
  }

  // Runs one command on a borrowed connection (and WAIT after a write).
  Result<ReplyPtr> Command(std::initializer_list<std::string_view> args, Call call) {
    return CommandArgs(std::vector<std::string_view>(args), call);
  }

  Result<ReplyPtr> CommandArgs(const std::vector<std::string_view>& args, Call call) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (auto a : args) { argv.push_back(a.data()); lens.push_back(a.size()); }
    const bool waits = Waits(call);
    for (int attempt = 0;; ++attempt) {
      Count(opt_.round_trips);
      auto borrowed = Borrow();
      if (!borrowed.ok()) Count(opt_.errors);
      ICB_ASSIGN_OR_RETURN(Conn c, std::move(borrowed));
      redisAppendCommandArgv(c.ctx.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
      if (waits) AppendWait(c);
      void* raw = nullptr;
      void* wait_raw = nullptr;
      const bool got = redisGetReply(c.ctx.get(), &raw) == REDIS_OK && (!waits || redisGetReply(c.ctx.get(), &wait_raw) == REDIS_OK);
      ReplyPtr r(static_cast<redisReply*>(raw)), wait_reply(static_cast<redisReply*>(wait_raw));
      if (!got) {
        Count(opt_.errors);
        Status s = ContextError(c.ctx.get(), args.front());
        // A connection Redis closed (it restarted) is retried once on a new
        // one; one that timed out is not: the request has waited enough.
        const bool timed_out = s.message().starts_with("Redis timed out");
        Return(std::move(c));
        if (call != Call::kWrite && attempt == 0 && !timed_out) continue;
        return s;
      }
      Return(std::move(c), SaysDemoted(*r));
      if (r->type == REDIS_REPLY_ERROR) {
        Count(opt_.errors);
        return ReplyError(r.get());
      }
      if (waits) {
        Status acked = CheckReplicaAcks(*wait_reply);
        if (!acked.ok()) {
          Count(opt_.errors);
          return acked;
        }
      }
      return r;
    }
  }

  Status Down() const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - down_since_).count();
    return Unavailable("Redis not answering at " + opt_.address.ToString() + " for " + std::to_string(ms) + " ms (" + last_error_ +
                       "); retried every " + std::to_string(opt_.probe_interval.count()) + " ms");
  }

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
    const auto& sentinels = opt_.address.sentinels;
    const auto& name = opt_.address.master_name;
    const timeval ct = ToTimeval(opt_.connect_timeout);
    std::string errors;
    const size_t first = preferred_sentinel_.load();
    for (size_t k = 0; k < sentinels.size(); ++k) {
      const size_t i = (first + k) % sentinels.size();
      const RedisEndpoint& s = sentinels[i];
      const std::string where = s.host + ":" + std::to_string(s.port);
      ContextPtr c(redisConnectWithTimeout(s.host.c_str(), s.port, ct));
      if (!c || c->err) {
        errors += (errors.empty() ? "" : "; ") + where + ": " + (c ? c->errstr : "out of memory");
        continue;
      }
      redisSetTimeout(c.get(), ct);
      ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "SENTINEL get-master-addr-by-name %b", name.data(), name.size())));
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
    const RedisAddress& a = opt_.address;
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

  RedisStoreOptions opt_;
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
