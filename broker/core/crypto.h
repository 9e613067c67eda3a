// Hashes, MACs and random bytes: what the provider protocols sign with and
// what the broker's own keys are made and checked with (OpenSSL underneath).
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
// `n` bytes from the operating system's cryptographic generator.
std::string RandomBytes(size_t n);
// Equal contents, compared in time that depends only on the sizes.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace icb
