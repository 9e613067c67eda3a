#include "adapters/common/storage.h"

namespace icb {

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

ObjectInfo ObjectInfoFromHead(std::string_view key, const HttpClientResponse& head) {
  ObjectInfo info;
  info.key = std::string(key);
  info.size = std::stoull("0" + head.Header("content-length"));
  info.etag = Unquote(head.Header("etag"));
  return info;
}

}  // namespace icb
