// AWS Signature Version 4 (header form), as S3-compatible stores expect it:
// canonical request, string to sign, signing key, Authorization header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace icb {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string service = "s3";
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept,
// '/' kept when `keep_slash`, every other byte %XX upper case.
std::string UriEncode(std::string_view s, bool keep_slash);

struct SigV4Request {
  std::string method;
  std::string canonical_uri;  // already encoded path, e.g. /bucket/a%20b
  std::map<std::string, std::string> query;  // decoded names and values
  std::map<std::string, std::string> headers;  // lower-case names; all are signed (host included)
  std::string payload_sha256_hex;
};

std::string CanonicalQuery(const std::map<std::string, std::string>& query);
std::string CanonicalRequest(const SigV4Request& r);
std::string StringToSign(const std::string& canonical_request, const std::string& amz_date, const SigV4Credentials& c);
std::string SigningKey(const SigV4Credentials& c, std::string_view date);  // raw
// The Authorization header value; amz_date is YYYYMMDD'T'HHMMSS'Z'.
std::string Authorization(const SigV4Request& r, const std::string& amz_date, const SigV4Credentials& c);

}  // namespace icb
