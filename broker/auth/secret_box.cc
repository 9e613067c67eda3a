#include "broker/auth/secret_box.h"

#include "broker/core/crypto.h"
#include "broker/core/owner_only_file.h"

namespace icb {
namespace {

constexpr std::string_view kPrefix = "icbseal1.";
constexpr size_t kNonce = 12;
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr size_t kTag = 16;
// The largest sealed form: prefix, a 32-character key id, '.', base64 of
// nonce, text and tag.
static_assert(kPrefix.size() + 32 + 1 + (kNonce + SecretKeyRing::kMaxPlaintextBytes + kTag + 2) / 3 * 4 <= SecretKeyRing::kMaxSealedBytes);

bool IsKeyId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<SecretKeyRing> SecretKeyRing::LoadFile(const std::string& path) {
  auto text = ReadOwnerOnlyFile(path, "secrets key file", kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  auto ring = FromText(*text);
  if (!ring.ok()) return InvalidArgument("secrets key file " + path + ": " + ring.status().message());
  return ring;
}

Result<SecretKeyRing> SecretKeyRing::FromText(std::string_view text) {
  if (text.size() > kMaxKeyFileBytes) return InvalidArgument("more than " + std::to_string(kMaxKeyFileBytes) + " bytes");
  SecretKeyRing ring;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_no);
    const size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) return InvalidArgument(where + ": expected \"ID HEX\" (the key not shown)");
    const std::string_view id = line.substr(0, space), hex = Trim(line.substr(space));
    if (!IsKeyId(id)) return InvalidArgument(where + ": a key id is 1 to 32 of a-z, 0-9, - and _");
    if (hex.size() != 64) return InvalidArgument(where + ": key " + std::string(id) + " is not 64 hex digits (32 bytes; openssl rand -hex 32)");
    std::string raw(32, '\0');
    for (size_t i = 0; i < 32; ++i) {
      const int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) return InvalidArgument(where + ": key " + std::string(id) + " is not 64 hex digits (32 bytes; openssl rand -hex 32)");
      raw[i] = static_cast<char>(hi * 16 + lo);
    }
    for (const auto& [known, _] : ring.keys_)
      if (known == id) return InvalidArgument(where + ": key id " + std::string(id) + " is given twice");
    if (ring.keys_.size() == kMaxKeys) return InvalidArgument("more than " + std::to_string(kMaxKeys) + " keys");
    ring.keys_.emplace_back(std::string(id), std::move(raw));
  }
  if (ring.keys_.empty()) return InvalidArgument("no key (one line \"ID HEX\", e.g. k1 and openssl rand -hex 32)");
  return ring;
}

std::vector<std::string> SecretKeyRing::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, _] : keys_) out.push_back(id);
  return out;
}

std::string SecretKeyRing::Seal(std::string_view name, std::string_view plaintext) const {
  const auto& [id, key] = keys_.front();
  const std::string nonce = CryptoRandomBytes(kNonce);
  return std::string(kPrefix) + id + "." + Base64(nonce + Aes256GcmSeal(key, nonce, name, plaintext));
}

std::string SecretKeyRing::KeyIdOf(std::string_view sealed) {
  if (sealed.size() > kMaxSealedBytes || !sealed.starts_with(kPrefix)) return "";
  sealed.remove_prefix(kPrefix.size());
  const size_t dot = sealed.find('.');
  if (dot == std::string_view::npos || !IsKeyId(sealed.substr(0, dot))) return "";
  return std::string(sealed.substr(0, dot));
}

Result<std::string> SecretKeyRing::Open(std::string_view name, std::string_view sealed) const {
  const std::string id = KeyIdOf(sealed);
  if (id.empty()) return InvalidArgument("not a sealed secret");
  const std::string* key = nullptr;
  for (const auto& [known, raw] : keys_)
    if (known == id) key = &raw;
  if (!key) return NotFound("sealed with key " + id + ", which the --secrets-key file does not hold");
  std::string raw;
  if (!Base64Decode(sealed.substr(kPrefix.size() + id.size() + 1), raw) || raw.size() < kNonce + 16)
    return InvalidArgument("not a sealed secret");
  std::string plaintext;
  if (!Aes256GcmOpen(*key, std::string_view(raw).substr(0, kNonce), name, std::string_view(raw).substr(kNonce), plaintext))
    return InvalidArgument("sealed secret does not open with key " + id + " (altered, or sealed for another name)");
  return plaintext;
}

}  // namespace icb
