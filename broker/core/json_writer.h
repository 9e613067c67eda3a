// Streams JSON text into a flat buffer without building a document tree: for
// hot answers (ranking, reports) where nlohmann's DOM copies dominate. Appends
// are inline copies into spare capacity, not one library call per character.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace icb {

// `v` rounded to `decimals` places (at most 9) in plain decimal notation
// without trailing zeros: 0.133333, 0.2, 100, -3.5. Values too large for that
// to be exact fall back to the shortest round-trip form ("1e+20").
std::string FormatDecimal(double v, int decimals);

// A number's FormatDecimal text, kept on the stack: for numbers written more
// than once (an answer's weights, a contribution in both the breakdown and the
// explanation) and for prose. Non-finite values read "null", so the text is
// always JSON.
class DecimalText {
 public:
  DecimalText() = default;
  DecimalText(double v, int decimals = 6);
  std::string_view view() const { return {buf_, len_}; }

 private:
  char buf_[40] = {'0'};
  size_t len_ = 1;
};

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  // Shortest form that reads back to the same double; NaN and infinities as null.
  JsonWriter& Number(double v);
  JsonWriter& Number(const std::optional<double>& v) { return v ? Number(*v) : Null(); }
  // Rounded to `decimals` places, in plain decimal notation (FormatDecimal);
  // NaN and infinities as null.
  JsonWriter& Rounded(double v, int decimals = 6);
  JsonWriter& Rounded(const std::optional<double>& v, int decimals = 6) { return v ? Rounded(*v, decimals) : Null(); }
  JsonWriter& Int(long long v);
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  // A value that is already JSON text.
  JsonWriter& Raw(std::string_view json);

  void Reserve(size_t bytes) {
    if (bytes > buf_.size()) buf_.resize(bytes);
  }
  std::string_view str() const { return {buf_.data(), len_}; }
  std::string Take() {
    buf_.resize(len_);
    len_ = 0;
    return std::move(buf_);
  }

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ > 0 && depth_ <= kTrackedDepth) {
      uint64_t bit = uint64_t{1} << (depth_ - 1);
      if (has_items_ & bit) Put(',');
      has_items_ |= bit;
    }
  }
  void AppendEscaped(std::string_view s);
  // `n` bytes at the end of the text, to be filled by the caller.
  char* Room(size_t n) {
    if (len_ + n > buf_.size()) Grow(n);
    char* at = buf_.data() + len_;
    len_ += n;
    return at;
  }
  void Grow(size_t n);
  void Put(char c) { *Room(1) = c; }
  void Put(std::string_view s) {
    if (!s.empty()) std::memcpy(Room(s.size()), s.data(), s.size());
  }

  // One bit per open container ("has it an item yet?"): no allocation per
  // answer. Deeper nesting than this is not something the broker writes.
  static constexpr int kTrackedDepth = 64;
  std::string buf_;  // the text is buf_[0, len_); the rest is spare room
  size_t len_ = 0;
  uint64_t has_items_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace icb
