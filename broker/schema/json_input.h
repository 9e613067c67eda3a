// The hardened door for JSON bytes: one streaming pass that bounds nesting
// depth, string and key length, array and object sizes and total bytes, and
// refuses ill-formed UTF-8 and numbers a double cannot hold, before any
// document tree exists. Every refusal names the JSON pointer where it
// happened and the limit that was crossed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/status.h"
#include "broker/schema/validator.h"

namespace icb {

struct JsonLimits {
  size_t max_bytes = 1 << 20;          // whole text; over it: 413
  size_t max_depth = 32;               // nested arrays and objects
  size_t max_string_bytes = 64 << 10;  // one string value
  size_t max_key_bytes = 256;          // one member name
  size_t max_array_items = 10000;      // one array
  size_t max_object_members = 1000;    // one object

  // For the broker's own files and stored documents (which passed the API's
  // limits when they came in) and offline inputs such as sample files: any
  // size, but still a depth the validator's recursion can take.
  static JsonLimits Trusted() {
    JsonLimits l;
    l.max_bytes = l.max_string_bytes = l.max_key_bytes = l.max_array_items = l.max_object_members = SIZE_MAX;
    l.max_depth = 64;
    return l;
  }
};

// The error text for ill-formed input: keeps the parser's explanation, but
// never the raw bytes it read (they may be invalid UTF-8 or huge).
std::string DescribeParseError(const nlohmann::detail::exception& e);

// Forwards SAX events to `Inner` (a DOM builder or a streaming reader) after
// enforcing `limits`, and keeps the pointer of where the parser is so that a
// refusal can name it. The first refusal stops the parse.
template <typename Inner>
class LimitedSax {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  LimitedSax(Inner& inner, const JsonLimits& limits) : inner_(inner), limits_(limits) { frames_.reserve(16); }

  // Set when the limits refused the text or it was malformed.
  const std::optional<Status>& refusal() const { return refusal_; }

  bool null() { return Element() && inner_.null() && Done(); }
  bool boolean(bool b) { return Element() && inner_.boolean(b) && Done(); }
  bool number_integer(number_integer_t v) { return Element() && inner_.number_integer(v) && Done(); }
  bool number_unsigned(number_unsigned_t v) { return Element() && inner_.number_unsigned(v) && Done(); }
  bool number_float(number_float_t v, const string_t& s) { return Element() && inner_.number_float(v, s) && Done(); }
  bool string(string_t& s) {
    if (!Element()) return false;
    if (s.size() > limits_.max_string_bytes) {
      return Refuse(Pointer(), "string of " + std::to_string(s.size()) + " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_string_bytes) + " bytes (--json-max-string)");
    }
    return inner_.string(s) && Done();
  }
  bool binary(binary_t& b) { return Element() && inner_.binary(b) && Done(); }

  bool start_object(std::size_t n) { return Open(false) && inner_.start_object(n); }
  bool start_array(std::size_t n) { return Open(true) && inner_.start_array(n); }
  bool end_object() { return Close() && inner_.end_object() && Done(); }
  bool end_array() { return Close() && inner_.end_array() && Done(); }

  bool key(string_t& k) {
    Frame& f = frames_.back();
    if (k.size() > limits_.max_key_bytes) {
      f.key.assign("");
      f.has_key = false;
      return Refuse(Pointer(), "member name of " + std::to_string(k.size()) + " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_key_bytes) + " bytes");
    }
    if (++f.count > limits_.max_object_members) {
      return Refuse(Pointer(), "object has more than " + std::to_string(limits_.max_object_members) +
                                   " members (--json-max-members)");
    }
    f.key.assign(k);
    f.has_key = true;
    return inner_.key(k);
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const nlohmann::detail::exception& e) {
    if (refusal_) return false;
    std::string message = (e.id == 406 ? "number out of range (beyond what a double holds) at byte " : "malformed JSON at byte ") +
                          std::to_string(position) + ": " + DescribeParseError(e);
    refusal_ = Status(StatusCode::kInvalidArgument, e.id == 406 ? "number out of range" : "malformed JSON", {{Pointer(), std::move(message)}});
    return false;
  }

 private:
  struct Frame {
    bool array = false;
    size_t count = 0;
    std::string key;
    bool has_key = false;  // inside a member's value, or an item (array)
  };

  // A value ended: the pointer no longer names its member or item.
  bool Done() {
    if (!frames_.empty()) frames_.back().has_key = false;
    return true;
  }

  // A value begins: count it as an element of its array.
  bool Element() {
    if (frames_.empty() || !frames_.back().array) return true;
    frames_.back().has_key = true;
    if (++frames_.back().count > limits_.max_array_items) {
      return Refuse(Pointer(), "array has more than " + std::to_string(limits_.max_array_items) + " items (--json-max-items)");
    }
    return true;
  }

  bool Open(bool array) {
    if (!Element()) return false;
    if (frames_.size() >= limits_.max_depth) {
      return Refuse(Pointer(), "nesting deeper than " + std::to_string(limits_.max_depth) + " levels (--json-max-depth)");
    }
    frames_.emplace_back();
    frames_.back().array = array;
    return true;
  }

  bool Close() {
    frames_.pop_back();
    return true;
  }

  // Where the parser is: each open container's current member or item.
  std::string Pointer() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.array) {
        if (f.has_key) out += "/" + std::to_string(f.count - 1);
      } else if (f.has_key) {
        out = JsonPointerAppend(out, f.key);
      }
    }
    return out;
  }

  bool Refuse(std::string pointer, std::string message) {
    if (!refusal_) refusal_ = Status(StatusCode::kInvalidArgument, "input exceeds a limit", {{std::move(pointer), std::move(message)}});
    return false;
  }

  Inner& inner_;
  const JsonLimits& limits_;
  std::vector<Frame> frames_;
  std::optional<Status> refusal_;
};

// Parses JSON text within `limits` (the total size is checked first, 413).
// Malformed text or a crossed limit is InvalidArgument with one FieldError.
Result<nlohmann::json> ParseJsonBounded(std::string_view text, const JsonLimits& limits);

// Runs any SAX reader over `text` behind the same limits.
template <typename Reader>
Status SaxParseBounded(std::string_view text, const JsonLimits& limits, Reader& reader) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kResourceExhausted, "JSON text of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                                      std::to_string(limits.max_bytes) + " bytes");
  }
  LimitedSax<Reader> sax(reader, limits);
  nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  return sax.refusal() ? *sax.refusal() : Status::Ok();
}

}  // namespace icb
