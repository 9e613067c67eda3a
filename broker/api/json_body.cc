#include "broker/api/json_body.h"

#include <algorithm>

namespace icb {

std::string ArrayOf(const std::string& name, const std::vector<std::string>& docs) {
  std::string out = "{\"" + name + "\":[";
  for (size_t i = 0; i < docs.size(); ++i) out += (i ? "," : "") + docs[i];
  return out + "]}";
}

Status CheckJsonContentType(const HttpRequest& r) {
  std::string ct = r.Header("content-type");
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))) return Status::Ok();
  return Status(StatusCode::kUnsupported, "Content-Type must be application/json, got " + (ct.empty() ? std::string("none") : "\"" + ct + "\""));
}

Result<nlohmann::json> JsonBody(const HttpRequest& r, const ApiLimits& limits) {
  ICB_RETURN_IF_ERROR(CheckJsonContentType(r));
  JsonLimits bounded = limits.json;
  bounded.max_bytes = limits.document_body_bytes;
  return ParseJsonBounded(r.body, bounded);
}

Status PrefixPointers(const Status& s, const std::string& prefix) {
  if (s.ok()) return s;
  std::vector<FieldError> errors;
  for (const auto& e : s.errors()) errors.push_back({prefix + e.pointer, e.message});
  return Status(s.code(), s.message(), std::move(errors));
}

}  // namespace icb
