#include "broker/ports/digest.h"

#include "broker/core/crypto.h"

// The low-level SHA256_CTX is the only OpenSSL interface whose state is
// plain data that can be written down and read back (EVP contexts are
// opaque); OpenSSL 3 marks it deprecated but keeps it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace icb {

struct Sha256Stream::State {
  SHA256_CTX ctx;
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) { SHA256_Init(&state_->ctx); }
Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::Update(std::string_view data) { SHA256_Update(&state_->ctx, data.data(), data.size()); }

unsigned long long Sha256Stream::size() const {
  // Nl/Nh count bits.
  unsigned long long bits = (static_cast<unsigned long long>(state_->ctx.Nh) << 32) | state_->ctx.Nl;
  return bits / 8;
}

// Fields in a fixed order, each as 8 hex digits: h[0..7], Nl, Nh, num, then
// the `num` buffered bytes as hex. Independent of the struct's layout.
std::string Sha256Stream::Save() const {
  const SHA256_CTX& c = state_->ctx;
  std::string out = "s1:";
  char buf[16];
  auto put = [&](unsigned long v) {
    std::snprintf(buf, sizeof buf, "%08lx", v & 0xffffffffUL);
    out += buf;
  };
  for (int i = 0; i < 8; ++i) put(c.h[i]);
  put(c.Nl);
  put(c.Nh);
  put(c.num);
  const auto* bytes = reinterpret_cast<const unsigned char*>(c.data);
  for (unsigned i = 0; i < c.num && i < sizeof c.data; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    out += buf;
  }
  return out;
}

std::optional<Sha256Stream> Sha256Stream::Restore(std::string_view saved) {
  if (saved.substr(0, 3) != "s1:") return std::nullopt;
  saved.remove_prefix(3);
  auto word = [&](unsigned long& v) {
    if (saved.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) {
      char ch = saved[static_cast<size_t>(i)];
      int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<unsigned long>(d);
    }
    saved.remove_prefix(8);
    return true;
  };
  Sha256Stream s;
  SHA256_CTX& c = s.state_->ctx;
  unsigned long v = 0;
  for (int i = 0; i < 8; ++i) {
    if (!word(v)) return std::nullopt;
    c.h[i] = static_cast<SHA_LONG>(v);
  }
  if (!word(v)) return std::nullopt;
  c.Nl = static_cast<SHA_LONG>(v);
  if (!word(v)) return std::nullopt;
  c.Nh = static_cast<SHA_LONG>(v);
  if (!word(v) || v >= sizeof c.data || saved.size() != 2 * v) return std::nullopt;
  c.num = static_cast<unsigned>(v);
  std::memset(c.data, 0, sizeof c.data);
  auto* bytes = reinterpret_cast<unsigned char*>(c.data);
  for (unsigned i = 0; i < c.num; ++i) {
    unsigned b = 0;
    if (std::sscanf(std::string(saved.substr(2 * i, 2)).c_str(), "%2x", &b) != 1) return std::nullopt;
    bytes[i] = static_cast<unsigned char>(b);
  }
  c.md_len = SHA256_DIGEST_LENGTH;
  return s;
}

std::string Sha256Stream::FinalHex() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &state_->ctx);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return Hex(Sha256(data)); }

}  // namespace icb
