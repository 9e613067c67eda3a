#include "adapters/s3/sigv4.h"

#include "broker/core/crypto.h"

namespace icb {

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string CanonicalQuery(const std::map<std::string, std::string>& query) {
  // Sorted by encoded name; std::map sorts the decoded names, which for the
  // names S3 uses (ASCII letters, digits, '-') is the same order.
  std::string out;
  for (const auto& [k, v] : query) out += (out.empty() ? "" : "&") + UriEncode(k, false) + "=" + UriEncode(v, false);
  return out;
}

std::string CanonicalRequest(const SigV4Request& r) {
  std::string headers, signed_headers;
  for (const auto& [k, v] : r.headers) {
    headers += k + ":" + v + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + k;
  }
  return r.method + "\n" + r.canonical_uri + "\n" + CanonicalQuery(r.query) + "\n" + headers + "\n" + signed_headers + "\n" + r.payload_sha256_hex;
}

std::string StringToSign(const std::string& canonical_request, const std::string& amz_date, const SigV4Credentials& c) {
  std::string scope = amz_date.substr(0, 8) + "/" + c.region + "/" + c.service + "/aws4_request";
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Hex(Sha256(canonical_request));
}

std::string SigningKey(const SigV4Credentials& c, std::string_view date) {
  std::string k = HmacSha256("AWS4" + c.secret_key, date);
  k = HmacSha256(k, c.region);
  k = HmacSha256(k, c.service);
  return HmacSha256(k, "aws4_request");
}

std::string Authorization(const SigV4Request& r, const std::string& amz_date, const SigV4Credentials& c) {
  std::string signed_headers;
  for (const auto& [k, v] : r.headers) signed_headers += (signed_headers.empty() ? "" : ";") + k;
  std::string signature = Hex(HmacSha256(SigningKey(c, amz_date.substr(0, 8)), StringToSign(CanonicalRequest(r), amz_date, c)));
  return "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + amz_date.substr(0, 8) + "/" + c.region + "/" + c.service +
         "/aws4_request, SignedHeaders=" + signed_headers + ", Signature=" + signature;
}

}  // namespace icb
