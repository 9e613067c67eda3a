// Store on Redis through hiredis. hiredis contexts are not thread-safe and do
// not reconnect, so RedisStore keeps a pool: each call borrows a connection,
// every call has a timeout, and a broken connection is dropped and redialled
// with exponential backoff on the next borrow.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "broker/store/store.h"

namespace icb {

struct RedisAddress {
  std::string unix_path;  // set for unix sockets
  std::string host;
  int port = 0;
  int db = 0;
  std::string password;
  std::string ToString() const;  // never includes the password
};

// Accepts redis://[:password@]host[:port][/db] and unix:///path/to/socket[?db=N].
Result<RedisAddress> ParseRedisUrl(std::string_view url);

struct RedisStoreOptions {
  RedisAddress address;
  int pool_size = 16;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds borrow_timeout{2000};
  std::chrono::milliseconds max_backoff{1000};
};

class RedisStore;
std::unique_ptr<Store> NewRedisStore(RedisStoreOptions options);

}  // namespace icb
