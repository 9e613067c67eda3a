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
// Equal sizes and bytes, in time that depends on the size only (secrets).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace icb
