// Hashes, MACs, base64 and random bytes: what the provider protocols sign
// with, what the broker keys its caches by and what its API keys are made
// of (OpenSSL underneath).
#pragma once

#include <string>
#include <string_view>

namespace icb {

std::string Sha256(std::string_view data);  // raw 32 bytes
std::string Md5(std::string_view data);     // raw 16 bytes: transit checks only (Content-MD5), never proof of a copy
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Hex(std::string_view raw);       // lower case
std::string Base64(std::string_view raw);
// Empty and false when `text` is not valid base64.
bool Base64Decode(std::string_view text, std::string& out);
// `n` bytes from the operating system's CSPRNG (OpenSSL's RAND_bytes);
// aborts rather than return predictable bytes.
std::string CryptoRandomBytes(size_t n);
// AES-256-GCM (NIST SP 800-38D): `key` 32 bytes, `nonce` 12 bytes (never
// reused with one key: callers draw it from CryptoRandomBytes). Seal answers
// the ciphertext followed by the 16-byte tag; Open answers false (and an
// empty `plaintext`) when the tag does not verify: a wrong key, nonce or
// `aad`, or altered bytes.
std::string Aes256GcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext);
bool Aes256GcmOpen(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view sealed, std::string& plaintext);
// Equal sizes and bytes, in time that depends on the size only (secrets).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace icb
