// Streams JSON text into a string without building a document tree: for hot
// answers (ranking, later metrics) where nlohmann's DOM copies dominate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace icb {

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
  JsonWriter& Int(long long v);
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  // A value that is already JSON text.
  JsonWriter& Raw(std::string_view json);

  void Reserve(size_t bytes) { out_.reserve(bytes); }
  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  JsonWriter& Open(char c);
  JsonWriter& Close(char c);
  void BeforeValue();
  void AppendEscaped(std::string_view s);

  std::string out_;
  std::vector<bool> has_items_;  // per open container
  bool after_key_ = false;
};

}  // namespace icb
