// Hashes, MACs and base64: what the provider protocols sign with and what
// the broker keys its caches by (OpenSSL underneath).
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

}  // namespace icb
