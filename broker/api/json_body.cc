#include "broker/api/json_body.h"

#include <algorithm>

namespace icb {

std::string ArrayOf(const std::string& name, const std::vector<std::string>& docs) {
  std::string out = "{\"" + name + "\":[";
  for (size_t i = 0; i < docs.size(); ++i) out += (i ? "," : "") + docs[i];
  return out + "]}";
}

std::string PageOf(const std::string& name, const std::vector<std::string>& docs, const std::optional<std::string>& next) {
  std::string out = ArrayOf(name, docs);
  out.pop_back();
  return out + ",\"next\":" + (next ? nlohmann::json(*next).dump() : std::string("null")) + "}";
}

std::optional<size_t> ParseLimit(const HttpRequest& r, size_t most, std::vector<FieldError>& errors) {
  auto it = r.query.find("limit");
  if (it == r.query.end()) return std::nullopt;
  const std::string& v = it->second;
  const bool digits = !v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos;
  const long long n = digits ? std::stoll(v) : 0;
  if (n >= 1 && n <= static_cast<long long>(most)) return static_cast<size_t>(n);
  errors.push_back({"", "limit= is an integer from 1 to " + std::to_string(most) + ", got " +
                            (v.size() <= 20 ? "\"" + v + "\"" : std::to_string(v.size()) + " characters")});
  return std::nullopt;
}

ListQuery ParseListQuery(const HttpRequest& r, std::vector<FieldError>& errors) {
  ListQuery q;
  if (auto n = ParseLimit(r, kMaxPageItems, errors)) q.limit = *n;
  if (auto it = r.query.find("after"); it != r.query.end()) {
    const std::string& v = it->second;
    bool visible = !v.empty() && v.size() <= kMaxCursorBytes;
    for (unsigned char c : v) visible = visible && c > 0x20 && c < 0x7f;
    if (visible) q.after = v;
    else errors.push_back({"", "after= is a cursor a page answered as next (1 to " + std::to_string(kMaxCursorBytes) +
                                   " visible ASCII characters), got " + std::to_string(v.size()) + " bytes that are not one"});
  }
  return q;
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
