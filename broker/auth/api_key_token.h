// The text of an API key, as a client holds it:
//
//   icb_<id>_<secret><check>
//
// `id` is the key's public id (12 of [a-z0-9]: listed, shown, revoked by
// it), `secret` 32 base62 characters (190 bits from the CSPRNG) and `check`
// 6 base62 characters of the CRC-32 of everything before it. The prefix
// lets secret scanners recognise a leaked key (as GitHub's `ghp_` does) and
// the check lets them, and the broker, tell a real key from a typo without
// a lookup. Only a keyed hash of the whole text is stored (key_store.h).
#pragma once

#include <string>
#include <string_view>

#include "broker/core/status.h"

namespace icb {

inline constexpr std::string_view kApiKeyPrefix = "icb_";
inline constexpr size_t kApiKeyIdChars = 12;
inline constexpr size_t kApiKeySecretChars = 32;
inline constexpr size_t kApiKeyCheckChars = 6;
inline constexpr size_t kApiKeyChars = kApiKeyPrefix.size() + kApiKeyIdChars + 1 + kApiKeySecretChars + kApiKeyCheckChars;

bool IsApiKeyId(std::string_view id);
// A fresh random id and a fresh token for it.
std::string NewApiKeyId();
std::string NewApiKeyToken(std::string_view id);
// The id of a well-formed token (prefix, lengths, alphabet, check); an
// InvalidArgument naming what is wrong otherwise, never the text itself.
Result<std::string> ApiKeyIdOf(std::string_view token);

}  // namespace icb
