// Redis's used_memory, for benches that report bytes per stored thing.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "broker/store/redis_store.h"

namespace icb {

// From INFO memory, through redis-cli (installed with the server); -1 when unreadable.
inline long long RedisUsedMemory(const RedisAddress& a) {
  const std::string cmd = "redis-cli " + (a.unix_path.empty() ? "-h " + a.host + " -p " + std::to_string(a.port) : "-s " + a.unix_path) +
                          " INFO memory";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return -1;
  long long used = -1;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "used_memory:", 12) == 0) used = std::atoll(line + 12);
  }
  pclose(f);
  return used;
}

}  // namespace icb
