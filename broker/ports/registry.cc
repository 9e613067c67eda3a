#include "broker/ports/registry.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace icb {

Result<std::vector<ObjectInfo>> ListAll(ObjectStore& store, std::string_view prefix, int page_size) {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    ICB_ASSIGN_OR_RETURN(ObjectPage page, store.List(prefix, token, page_size));
    out.insert(out.end(), page.objects.begin(), page.objects.end());
    token = page.next_token;
  } while (!token.empty());
  return out;
}

Status ReadExactly(ByteSource& source, uint64_t n, std::string& out) {
  out.assign(n, '\0');
  size_t got = 0;
  while (got < n) {
    ICB_ASSIGN_OR_RETURN(size_t k, source.Read(out.data() + got, n - got));
    if (k == 0) return InvalidArgument("source ended after " + std::to_string(got) + " of " + std::to_string(n) + " bytes");
    got += k;
  }
  return Status::Ok();
}

Status RangedGet(std::string_view what, uint64_t size, uint64_t chunk, const RangeFetch& fetch, const ByteSink& sink) {
  if (size <= chunk) {
    ICB_ASSIGN_OR_RETURN(std::string body, fetch(0, size == 0 ? 0 : size - 1, true));
    if (body.size() != size) return Unavailable(std::string(what) + ": " + std::to_string(body.size()) + " bytes, expected " + std::to_string(size));
    return sink(body);
  }
  // Memory stays at one chunk whatever the object's size.
  for (uint64_t at = 0; at < size; at += chunk) {
    uint64_t last = std::min(size, at + chunk) - 1;
    ICB_ASSIGN_OR_RETURN(std::string body, fetch(at, last, false));
    if (body.size() != last - at + 1) return Unavailable(std::string(what) + ": short range " + std::to_string(at) + "-" + std::to_string(last));
    ICB_RETURN_IF_ERROR(sink(body));
  }
  return Status::Ok();
}

Status AdapterRegistry::CheckConfig(const std::string& name, const nlohmann::json& config) const {
  return schemas_.Validate("adapter_" + name + ".json", config);
}

Status AdapterRegistry::Unknown(const char* capability, const std::string& name, const std::vector<std::string>& known) {
  std::string list;
  for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown adapter", {{"/adapter", "no " + std::string(capability) + " adapter \"" + name + "\"; known: " + list}});
}

}  // namespace icb
