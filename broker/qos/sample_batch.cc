#include "broker/qos/sample_batch.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "broker/core/ids.h"
#include "broker/core/time.h"
#include "broker/schema/json_input.h"

namespace icb {

using nlohmann::json;

namespace {

// Streams the batch straight into samples (no document tree: a tree of
// std::maps cost more than everything else in ingestion). Where the structure
// is not what the schema wants, the offending value is skipped and reported.
class BatchReader final : public nlohmann::json_sax<json> {
 public:
  std::vector<QosSample> samples;
  std::vector<FieldError> errors;
  size_t total_errors = 0;

  bool null() override { return Scalar(Value{Value::kNull}); }
  bool boolean(bool b) override { return Scalar(Value{Value::kBool, b}); }
  bool number_integer(number_integer_t v) override { return Scalar(Value{Value::kInt, false, static_cast<double>(v), v}); }
  bool number_unsigned(number_unsigned_t v) override {
    return Scalar(Value{Value::kInt, false, static_cast<double>(v), v > static_cast<number_unsigned_t>(INT64_MAX) ? INT64_MAX : static_cast<long long>(v)});
  }
  bool number_float(number_float_t v, const string_t&) override { return Scalar(Value{Value::kFloat, false, v}); }
  bool string(string_t& s) override { return Scalar(Value{Value::kString, false, 0, 0, &s}); }
  bool binary(binary_t&) override { return Scalar(Value{Value::kNull}); }

  bool start_object(std::size_t) override { return Open(true); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    key_ = k;
    return true;
  }

  // Never called: the door in front (SaxParseBounded) reports malformed text.
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  void Finish() {
    if (!saw_samples_ && errors.empty() && root_seen_) Error("", "missing required property \"samples\"");
  }

 private:
  struct Value {
    enum Kind { kNull, kBool, kInt, kFloat, kString } kind;
    bool b = false;
    double d = 0;
    long long i = 0;
    const std::string* s = nullptr;
  };
  enum class Where { kTop, kRoot, kList, kSample };

  void Error(std::string pointer, std::string message) {
    ++total_errors;
    if (errors.size() < kMaxListedErrors) errors.push_back({std::move(pointer), std::move(message)});  // enough to act on
  }
  std::string SamplePointer() const { return "/samples/" + std::to_string(index_); }

  // A container where a scalar belongs, or anything unexpected: skip it whole.
  bool Open(bool object) {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    switch (where_) {
      case Where::kTop:
        root_seen_ = true;
        if (!object) {
          Error("", "the batch must be an object {\"samples\": [...]}");
          skip_ = 1;
          return true;
        }
        where_ = Where::kRoot;
        return true;
      case Where::kRoot:
        if (key_ == "samples" && !object) {
          saw_samples_ = true;
          where_ = Where::kList;
          return true;
        }
        if (key_ == "samples") {
          saw_samples_ = true;
          Error("/samples", "must be an array");
        } else {
          Error("", "unknown property \"" + key_ + "\"");
        }
        skip_ = 1;
        return true;
      case Where::kList:
        if (!object) {
          Error(SamplePointer(), "must be an object");
          ++index_;
          skip_ = 1;
          return true;
        }
        where_ = Where::kSample;
        current_ = QosSample();
        for (bool& h : have_) h = false;
        sample_errors_ = errors.size();
        return true;
      case Where::kSample:
        Field(Value{Value::kNull}, /*container=*/true);
        skip_ = 1;
        return true;
    }
    return true;
  }

  bool Close() {
    if (skip_ > 0) {
      --skip_;
      if (skip_ == 0 && where_ == Where::kSample) {}  // a skipped field value ended
      return true;
    }
    switch (where_) {
      case Where::kSample: EndSample(); where_ = Where::kList; return true;
      case Where::kList:
        if (index_ == 0) Error("/samples", "must hold at least one sample");
        else if (index_ > kMaxSamplesPerBatch) Error("/samples", "holds " + std::to_string(index_) + " samples; at most 10000 per batch");
        where_ = Where::kRoot;
        return true;
      case Where::kRoot: where_ = Where::kTop; return true;
      case Where::kTop: return true;
    }
    return true;
  }

  bool Scalar(const Value& v) {
    if (skip_ > 0) return true;
    switch (where_) {
      case Where::kTop:
        root_seen_ = true;
        Error("", "the batch must be an object {\"samples\": [...]}");
        return true;
      case Where::kRoot:
        if (key_ == "samples") {
          saw_samples_ = true;
          Error("/samples", "must be an array");
        } else {
          Error("", "unknown property \"" + key_ + "\"");
        }
        return true;
      case Where::kList:
        Error(SamplePointer(), "must be an object");
        ++index_;
        return true;
      case Where::kSample: Field(v, false); return true;
    }
    return true;
  }

  void Field(const Value& v, bool container) {
    const std::string p = SamplePointer() + "/" + key_;
    bool is_number = v.kind == Value::kInt || v.kind == Value::kFloat;
    if (key_ == "provider" || key_ == "endpoint" || key_ == "vantage") {
      int slot = key_ == "provider" ? 0 : key_ == "endpoint" ? 1 : 2;
      have_[slot] = true;
      if (container || v.kind != Value::kString || !IsValidId(*v.s)) Error(p, "must be an id: 1-64 of a-z 0-9 . _ -, starting with a letter or digit");
      else (slot == 0 ? current_.provider : slot == 1 ? current_.endpoint : current_.vantage) = *v.s;
    } else if (key_ == "ts") {
      have_[3] = true;
      std::optional<TimePoint> t;
      std::string why = "not a string";
      if (!container && v.kind == Value::kString) t = ParseRfc3339(*v.s, &why);
      if (!t) Error(p, "must be an RFC 3339 date-time with an offset: " + why);
      else current_.ts = *t;
    } else if (key_ == "interval_s") {
      have_[4] = true;
      if (container || !is_number || !(v.d > 0) || v.d > 86400) Error(p, "must be a number of seconds, more than 0 and at most 86400");
      else current_.interval = Millis(std::max<long long>(1, std::llround(v.d * 1000)));
    } else if (key_ == "ok") {
      have_[5] = true;
      if (container || v.kind != Value::kBool) Error(p, "must be true or false");
      else current_.ok = v.b;
    } else if (key_ == "latency_ms") {
      if (!container && v.kind == Value::kNull) return;
      // An hour at most: kept to the microsecond (metrics.h), rolled up as such.
      if (container || !is_number || !(v.d >= 0) || v.d > 3'600'000) Error(p, "must be a number of ms from 0 to 3600000, or null");
      else current_.latency_ms = v.d;
    } else if (key_ == "status") {
      if (container || v.kind != Value::kInt || v.i < 0 || v.i > 999) Error(p, "must be an integer from 0 to 999");
      else current_.status = static_cast<int>(v.i);
    } else if (key_ == "error") {
      if (!container && v.kind == Value::kNull) return;
      std::string e = !container && v.kind == Value::kString ? *v.s : "";
      if (e == "timeout") current_.error = ProbeError::kTimeout;
      else if (e == "connect") current_.error = ProbeError::kConnect;
      else if (e == "status") current_.error = ProbeError::kStatus;
      else if (e == "body") current_.error = ProbeError::kBody;
      else Error(p, "must be one of timeout, connect, status, body or null");
    } else {
      Error(SamplePointer(), "unknown property \"" + key_ + "\"");
    }
  }

  void EndSample() {
    static constexpr const char* kRequired[] = {"provider", "endpoint", "vantage", "ts", "interval_s", "ok"};
    for (int k = 0; k < 6; ++k)
      if (!have_[k]) Error(SamplePointer(), std::string("missing required property \"") + kRequired[k] + "\"");
    if (errors.size() == sample_errors_ && current_.ok && current_.error != ProbeError::kNone) {
      Error(SamplePointer() + "/error", "a successful sample (ok true) has no error");
    }
    if (errors.empty() && index_ < kMaxSamplesPerBatch) samples.push_back(std::move(current_));
    ++index_;
  }

  Where where_ = Where::kTop;
  int skip_ = 0;
  std::string key_;
  size_t index_ = 0;
  bool root_seen_ = false, saw_samples_ = false;
  QosSample current_;
  bool have_[6] = {false, false, false, false, false, false};
  size_t sample_errors_ = 0;
};

}  // namespace

Result<std::vector<QosSample>> ParseSampleBatchText(std::string_view text) {
  BatchReader reader;
  // The same door as every document; the batch reader reports a list over
  // 10,000 samples itself, so the door's array limit sits above that.
  JsonLimits limits;
  limits.max_bytes = text.size();
  limits.max_array_items = 10 * kMaxSamplesPerBatch;
  ICB_RETURN_IF_ERROR(SaxParseBounded(text, limits, reader));
  reader.Finish();
  if (!reader.errors.empty()) {
    std::string detail = CountedErrors(reader.total_errors, reader.errors.size(), "invalid sample field", "invalid sample fields");
    return InvalidArgument(std::move(detail), std::move(reader.errors));
  }
  return std::move(reader.samples);
}

Result<std::vector<QosSample>> ParseSampleBatch(const json& body) { return ParseSampleBatchText(body.dump()); }

}  // namespace icb
