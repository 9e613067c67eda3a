#include "tests/support/redis_commands.h"

#include <hiredis/hiredis.h>

#include <functional>

namespace icb::testing {

namespace {

void Flatten(const redisReply* r, std::string& out) {
  switch (r->type) {
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) Flatten(r->element[i], out);
      break;
    case REDIS_REPLY_INTEGER: out += std::to_string(r->integer) + "\n"; break;
    case REDIS_REPLY_NIL: out += "(nil)\n"; break;
    case REDIS_REPLY_ERROR: out += "ERR: " + std::string(r->str, r->len) + "\n"; break;
    default: out += std::string(r->str, r->len) + "\n";
  }
}

// Sends `args`, hands the reply (null: none) to `read`.
void Send(int port, const std::vector<std::string>& args, const std::function<void(const redisReply*)>& read) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
  if (!c || c->err) {
    if (c) redisFree(c);
    read(nullptr);
    return;
  }
  redisSetTimeout(c, timeval{2, 0});
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) { argv.push_back(a.data()); lens.push_back(a.size()); }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  read(r);
  if (r) freeReplyObject(r);
  redisFree(c);
}

}  // namespace

std::string AskRedis(int port, const std::vector<std::string>& args) {
  std::string out;
  Send(port, args, [&](const redisReply* r) {
    if (r) Flatten(r, out);
  });
  return out;
}

int CountRedis(int port, const std::vector<std::string>& args) {
  int n = -1;
  Send(port, args, [&](const redisReply* r) { n = r && r->type == REDIS_REPLY_ARRAY ? static_cast<int>(r->elements) : -1; });
  return n;
}

}  // namespace icb::testing
