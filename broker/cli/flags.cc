#include "broker/cli/flags.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "broker/core/ids.h"
#include "broker/core/owner_only_file.h"
#include "broker/core/time.h"

namespace icb {

Result<std::string> ReadTokenFile(const std::string& path) {
  auto text = ReadOwnerOnlyFile(path, "--token-file", 4096);
  if (!text.ok()) return text.status();
  std::string token = std::move(*text);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) return InvalidArgument("--token-file " + path + " does not hold one API key");
  return token;
}

CLI::Validator ExistingFile() { return CLI::ExistingFile.description(""); }

CLI::Validator PositiveInteger() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.find_first_not_of('0') == std::string::npos || v.size() > 18)
          return "wants a positive integer, got " + v;
        return {};
      },
      "");
}

CLI::Validator ListenAddress() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        auto colon = v.rfind(':');
        std::string port = colon == std::string::npos ? "" : v.substr(colon + 1);
        if (colon == std::string::npos || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(port) > 65535)
          return "wants HOST:PORT (port 0 to 65535), got " + v;
        return {};
      },
      "");
}

CLI::Validator IdName() {
  return CLI::Validator(
      [](std::string& v) -> std::string { return IsValidId(v) ? std::string() : "wants a name of 1-64 characters of a-z, 0-9, '.', '_' or '-', got " + v; },
      "");
}

CLI::Validator Rfc3339Time() {
  return CLI::Validator(
      [](std::string& v) -> std::string { return ParseRfc3339(v) ? std::string() : "wants an RFC 3339 time (2026-11-30T00:00:00Z), got " + v; }, "");
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintStatus(const std::string& prefix, const Status& s) {
  std::fprintf(stderr, "%s%s\n", prefix.c_str(), s.message().c_str());
  for (const auto& e : s.errors()) {
    std::fprintf(stderr, "  %s: %s\n", e.pointer.empty() ? "(root)" : e.pointer.c_str(), e.message.c_str());
  }
}

}  // namespace icb
