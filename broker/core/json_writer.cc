#include "broker/core/json_writer.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace icb {

namespace {

constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

// Writes FormatDecimal's text at `out` (room for 40 bytes); returns its end.
char* WriteDecimal(char* out, double v, int decimals) {
  if (decimals < 0) decimals = 0;
  if (decimals > 9) decimals = 9;
  double scaled = std::round(v * kPow10[decimals]);
  // Below 2^53 the scaled value is an exact integer, and below 1e15 its
  // decimal form names exactly the double that rounding to `decimals` places gives.
  if (!std::isfinite(scaled) || std::fabs(scaled) >= 1e15) return std::to_chars(out, out + 40, v).ptr;
  auto n = static_cast<long long>(scaled);
  if (n == 0) {
    *out++ = '0';  // no "-0"
    return out;
  }
  if (n < 0) {
    *out++ = '-';
    n = -n;
  }
  char digits[24];
  int len = static_cast<int>(std::to_chars(digits, digits + sizeof digits, n).ptr - digits);
  int frac = decimals;
  while (frac > 0 && len > 1 && digits[len - 1] == '0') {  // trailing zeros of the fraction
    --len;
    --frac;
  }
  int whole = len - frac;  // digits before the point; <= 0 means "0.00ddd"
  if (whole > 0) {
    std::memcpy(out, digits, static_cast<size_t>(whole));
    out += whole;
  } else {
    *out++ = '0';
  }
  if (frac > 0) {
    *out++ = '.';
    for (int z = whole; z < 0; ++z) *out++ = '0';
    int from = whole > 0 ? whole : 0;
    std::memcpy(out, digits + from, static_cast<size_t>(len - from));
    out += len - from;
  }
  return out;
}

}  // namespace

DecimalText::DecimalText(double v, int decimals) {
  if (!std::isfinite(v)) {
    std::memcpy(buf_, "null", 4);
    len_ = 4;
    return;
  }
  len_ = static_cast<size_t>(WriteDecimal(buf_, v, decimals) - buf_);
}

std::string FormatDecimal(double v, int decimals) {
  char buf[40];
  return std::string(buf, WriteDecimal(buf, v, decimals));
}

void JsonWriter::Grow(size_t n) { buf_.resize(std::max(buf_.size() * 2, len_ + n + 256)); }

JsonWriter& JsonWriter::Open(char c) {
  BeforeValue();
  Put(c);
  ++depth_;
  assert(depth_ <= kTrackedDepth);
  if (depth_ <= kTrackedDepth) has_items_ &= ~(uint64_t{1} << (depth_ - 1));
  return *this;
}

JsonWriter& JsonWriter::Close(char c) {
  Put(c);
  --depth_;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendEscaped(key);
  Put(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendEscaped(s);
  return *this;
}

JsonWriter& JsonWriter::Number(double v) {
  if (!std::isfinite(v)) return Null();
  BeforeValue();
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  Put(std::string_view(buf, static_cast<size_t>(end - buf)));
  return *this;
}

JsonWriter& JsonWriter::Rounded(double v, int decimals) {
  if (!std::isfinite(v)) return Null();
  BeforeValue();
  char buf[40];
  Put(std::string_view(buf, static_cast<size_t>(WriteDecimal(buf, v, decimals) - buf)));
  return *this;
}

JsonWriter& JsonWriter::Int(long long v) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  Put(std::string_view(buf, static_cast<size_t>(end - buf)));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool b) {
  BeforeValue();
  Put(b ? std::string_view("true") : std::string_view("false"));
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  Put(std::string_view("null"));
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  Put(json);
  return *this;
}

void JsonWriter::AppendEscaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // The common case, nothing to escape: one copy. Eight bytes at a time,
  // looking for a control character, '"' or '\\' (bytes >= 0x80 pass).
  size_t i = 0;
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto zero_byte = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (((x - kOnes * 0x20) & ~x & kHigh) | zero_byte(x ^ (kOnes * '"')) | zero_byte(x ^ (kOnes * '\\'))) break;
  }
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++i;
  }
  char* at = Room(i + 2);
  at[0] = '"';
  if (i) std::memcpy(at + 1, s.data(), i);
  if (i == s.size()) {
    at[i + 1] = '"';
    return;
  }
  len_ -= 1;  // the closing quote comes after the rest
  size_t run = i;  // start of the pending run of characters that need no escape
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;  // UTF-8 passes through
    Put(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': Put("\\\""); break;
      case '\\': Put("\\\\"); break;
      case '\n': Put("\\n"); break;
      case '\r': Put("\\r"); break;
      case '\t': Put("\\t"); break;
      case '\b': Put("\\b"); break;
      case '\f': Put("\\f"); break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        Put(std::string_view(u, 6));
      }
    }
  }
  Put(s.substr(run));
  Put('"');
}

}  // namespace icb
