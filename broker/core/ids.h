#pragma once

#include <string_view>

namespace icb {

// Ids of providers, profiles, workloads: 1-64 chars of [a-z0-9._-], starting
// with a letter or digit. They appear in URLs and Redis keys, so no escaping is
// ever needed. The schemas carry the same pattern.
inline bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace icb
