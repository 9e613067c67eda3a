// Secrets at rest: the broker's key ring (`serve --secrets-key FILE`) and the
// sealed form of a secret in the store. A sealed value reads
// "icbseal1.KEY_ID.BASE64(nonce | AES-256-GCM ciphertext | tag)", the name
// it is stored under bound in as associated data, so a value copied to
// another name does not open. The ring's first key seals; any of its keys
// opens, so a key is rotated by putting the new one first, resealing, then
// dropping the old (docs/features.md, "Secrets at rest"). No error from here
// holds key material or a plaintext.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/status.h"

namespace icb {

class SecretKeyRing {
 public:
  static constexpr size_t kMaxSealedBytes = 64 * 1024;  // what Open reads at most
  // The most Seal takes: its sealed form (base64 of nonce, text and tag,
  // behind the prefix and a key id) stays within kMaxSealedBytes.
  static constexpr size_t kMaxPlaintextBytes = 32 * 1024;
  static constexpr size_t kMaxKeys = 16;

  // One key per line, "ID HEX" (ID: 1 to 32 of a-z 0-9 - _; HEX: 64 hex
  // digits, 32 random bytes, e.g. `openssl rand -hex 32`); blank lines and
  // "#" comments skipped. Refused unless a regular file of mode 0600 or
  // stricter, at most 4 KiB, with 1 to kMaxKeys keys and no id twice.
  static Result<SecretKeyRing> LoadFile(const std::string& path);
  static Result<SecretKeyRing> FromText(std::string_view text);

  const std::string& current_id() const { return keys_.front().first; }
  std::vector<std::string> ids() const;

  // Seals `plaintext` (at most kMaxPlaintextBytes: callers bound what they
  // seal; more would seal to what Open refuses) with the current key, bound
  // to `name`.
  std::string Seal(std::string_view name, std::string_view plaintext) const;
  // The plaintext of a value Seal made for `name` with any key of the ring.
  // InvalidArgument for what is not a sealed value or does not open (wrong
  // name, altered); NotFound naming the key id when the ring lacks its key.
  Result<std::string> Open(std::string_view name, std::string_view sealed) const;
  // The id of the key that sealed `sealed` ("" when it is not a sealed value).
  static std::string KeyIdOf(std::string_view sealed);

 private:
  std::vector<std::pair<std::string, std::string>> keys_;  // id, 32 raw bytes; the first seals
};

}  // namespace icb
