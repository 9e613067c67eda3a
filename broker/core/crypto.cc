#include "broker/core/crypto.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace icb {

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string Md5(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string Hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  std::string buf(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  buf.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts padding as zero bytes
  out = std::move(buf);
  return true;
}

std::string CryptoRandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // No entropy: a key made anyway could be guessed.
    std::fputs("icbroker: the random number generator failed\n", stderr);
    std::abort();
  }
  return out;
}

namespace {
struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};
const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
constexpr size_t kGcmTag = 16;
}  // namespace

std::string Aes256GcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext) {
  if (key.size() != 32 || nonce.size() != 12) std::abort();  // a caller's bug, never input
  CipherCtx c;
  std::string out(plaintext.size() + kGcmTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, total = 0;
  bool ok = c.ctx && EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
            (aad.empty() || EVP_EncryptUpdate(c.ctx, nullptr, &n, Bytes(aad), static_cast<int>(aad.size())) == 1) &&
            EVP_EncryptUpdate(c.ctx, o, &n, Bytes(plaintext), static_cast<int>(plaintext.size())) == 1;
  total = n;
  ok = ok && EVP_EncryptFinal_ex(c.ctx, o + total, &n) == 1;
  total += n;
  ok = ok && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTag), o + total) == 1;
  if (!ok) std::abort();  // OpenSSL out of memory: nothing sensible to answer
  out.resize(static_cast<size_t>(total) + kGcmTag);
  return out;
}

bool Aes256GcmOpen(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view sealed, std::string& plaintext) {
  plaintext.clear();
  if (key.size() != 32 || nonce.size() != 12 || sealed.size() < kGcmTag) return false;
  const std::string_view body = sealed.substr(0, sealed.size() - kGcmTag);
  std::string tag(sealed.substr(sealed.size() - kGcmTag));
  CipherCtx c;
  std::string out(body.size() + 16, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0, total = 0;
  bool ok = c.ctx && EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(c.ctx, nullptr, &n, Bytes(aad), static_cast<int>(aad.size())) == 1) &&
            EVP_DecryptUpdate(c.ctx, o, &n, Bytes(body), static_cast<int>(body.size())) == 1;
  total = n;
  ok = ok && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTag), tag.data()) == 1 &&
       EVP_DecryptFinal_ex(c.ctx, o + total, &n) == 1;
  if (!ok) return false;
  total += n;
  out.resize(static_cast<size_t>(total));
  plaintext = std::move(out);
  return true;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace icb
