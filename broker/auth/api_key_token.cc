#include "broker/auth/api_key_token.h"

#include <cstdint>

#include <zlib.h>

#include "broker/core/crypto.h"

namespace icb {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

// `n` characters drawn uniformly from `alphabet` (rejection sampling: bytes
// at or above the largest multiple of its size are drawn again).
std::string RandomText(std::string_view alphabet, size_t n) {
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (unsigned char b : CryptoRandomBytes(n)) {
      if (b >= limit) continue;
      out += alphabet[b % alphabet.size()];
      if (out.size() == n) break;
    }
  }
  return out;
}

std::string Check(std::string_view text) {
  uint32_t crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  std::string out(kApiKeyCheckChars, '0');
  for (size_t i = kApiKeyCheckChars; i-- > 0;) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

bool AllOf(std::string_view text, std::string_view alphabet) {
  for (char c : text)
    if (alphabet.find(c) == std::string_view::npos) return false;
  return true;
}

}  // namespace

bool IsApiKeyId(std::string_view id) { return id.size() == kApiKeyIdChars && AllOf(id, kIdAlphabet); }

std::string NewApiKeyId() { return RandomText(kIdAlphabet, kApiKeyIdChars); }

std::string NewApiKeyToken(std::string_view id) {
  std::string text = std::string(kApiKeyPrefix) + std::string(id) + "_" + RandomText(kBase62, kApiKeySecretChars);
  return text + Check(text);
}

Result<std::string> ApiKeyIdOf(std::string_view token) {
  const auto refuse = [](const char* why) { return Status(StatusCode::kInvalidArgument, std::string("not an icbroker API key: ") + why); };
  if (token.size() != kApiKeyChars) return refuse("wrong length");
  if (token.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) return refuse("no icb_ prefix");
  const std::string_view id = token.substr(kApiKeyPrefix.size(), kApiKeyIdChars);
  const size_t secret_at = kApiKeyPrefix.size() + kApiKeyIdChars + 1;
  if (!IsApiKeyId(id) || token[secret_at - 1] != '_') return refuse("malformed id");
  const std::string_view rest = token.substr(secret_at);
  if (!AllOf(rest, kBase62)) return refuse("malformed secret");
  const std::string_view body = token.substr(0, token.size() - kApiKeyCheckChars);
  if (Check(body) != token.substr(body.size())) return refuse("checksum mismatch");
  return std::string(id);
}

}  // namespace icb
