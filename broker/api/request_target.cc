#include <string>

#include "broker/api/http.h"
#include "broker/core/utf8.h"

namespace icb {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; `plus_is_space` for query components (HTML forms).
Status Decode(std::string_view in, bool plus_is_space, std::string& out, const char* where) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgument("invalid request target",
                               {{"", std::string(where) + ": \"%\" at offset " + std::to_string(i) + " is not followed by two hex digits"}});
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (!IsValidUtf8(out)) return InvalidArgument("invalid request target", {{"", std::string(where) + " is not valid UTF-8 once decoded"}});
  return Status::Ok();
}

}  // namespace

Status ParseRequestTarget(std::string_view target, HttpRequest& out) {
  out.path.clear();
  out.query.clear();
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  std::string_view path = target, query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (path.empty() || path[0] != '/') return InvalidArgument("invalid request target", {{"", "the path must start with /"}});
  std::string decoded;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      ICB_RETURN_IF_ERROR(Decode(path.substr(start, end - start), false, decoded, "the path"));
      out.path.push_back(decoded);
    }
    start = end + 1;
  }
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    ICB_RETURN_IF_ERROR(Decode(pair.substr(0, eq), true, key, "the query"));
    if (eq != std::string_view::npos) ICB_RETURN_IF_ERROR(Decode(pair.substr(eq + 1), true, value, "the query"));
    out.query[key] = std::move(value);  // last value wins
  }
  return Status::Ok();
}

}  // namespace icb
