#include "broker/schema/validator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <set>

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "broker/core/embedded.h"
#include "broker/core/time.h"
#include "broker/core/utf8.h"
#include "broker/schema/json_input.h"

// Our own validator for the draft-07 keywords our schemas use. valijson (the
// Debian package) matches `pattern` and `format` with std::regex, which
// recurses once per input character (a 30,000-character string overflowed
// the stack), runs patterns even when maxLength already failed, and words
// its errors in library terms. Here patterns run on RE2 (linear time, no
// recursion), lengths are checked before patterns, formats use the broker's
// own RFC 3339 parser (so the schema and the typed conversion agree), and
// every message says what was expected in the field's own terms, taken from
// the schema's descriptions. A keyword the validator does not check
// makes the schema fail to load, so no rule is ever silently skipped.

namespace icb {

using nlohmann::json;

Result<json> ParseJson(std::string_view text) { return ParseJsonBounded(text, JsonLimits::Trusted()); }

std::string JsonPointerAppend(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string JsonPointer(std::initializer_list<std::string_view> tokens) {
  std::string out;
  for (auto t : tokens) out = JsonPointerAppend(out, t);
  return out;
}

namespace {

enum TypeBit : unsigned {
  kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kNumber = 16, kInteger = 32, kString = 64,
};

struct Node {
  std::string where;        // file#pointer, for load errors
  std::string description;  // the schema's words for the value, for messages
  const Node* ref = nullptr;
  unsigned types = 0;
  std::vector<json> enum_values;
  std::optional<json> const_value;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<size_t> min_length, max_length, min_items, max_items, min_properties, max_properties;
  std::unique_ptr<RE2> pattern;
  std::string format;
  std::map<std::string, const Node*, std::less<>> properties;
  std::vector<std::string> required;
  bool additional_allowed = true;
  const Node* additional = nullptr;
  const Node* property_names = nullptr;
  const Node* items = nullptr;
  bool unique_items = false;
  std::vector<const Node*> all_of, any_of, one_of;
  const Node* not_schema = nullptr;
};

const std::set<std::string, std::less<>> kAnnotations = {"$schema", "$id", "$comment", "title", "description", "default",
                                                         "examples", "definitions", "readOnly", "writeOnly", "deprecated"};

// The path to the value being checked, built as a chain on the stack and
// written out only when there is something to report.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  size_t index = 0;
  bool is_index = false;

  std::string Pointer() const {
    std::vector<const Path*> chain;
    for (const Path* p = this; p && p->parent; p = p->parent) chain.push_back(p);
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      out = (*it)->is_index ? out + "/" + std::to_string((*it)->index) : JsonPointerAppend(out, (*it)->key);
    }
    return out;
  }
};

std::string Shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = ToValidUtf8(s.substr(0, 77)) + "...";
  return s;
}

// Bounds as people write them: 1000000000, 0.5, 1e+308.
std::string Num(double v) {
  if (std::fabs(v) < 1e15 && v == std::floor(v)) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// The schema's description as the name of what a value must be: "ISO 3166-1
// alpha-2 country code, upper case (KR, US, ...)" without a trailing period.
std::string Expected(const Node& n) {
  std::string d = n.description;
  while (!d.empty() && (d.back() == '.' || d.back() == ' ')) d.pop_back();
  return d;
}

std::string TypeNames(unsigned types) {
  std::vector<std::string> names;
  if (types & kObject) names.push_back("an object");
  if (types & kArray) names.push_back("an array");
  if (types & kString) names.push_back("a string");
  if (types & kNumber) names.push_back("a number");
  else if (types & kInteger) names.push_back("an integer");
  if (types & kBoolean) names.push_back("true or false");
  if (types & kNull) names.push_back("null");
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

bool HasType(const json& v, unsigned types) {
  switch (v.type()) {
    case json::value_t::null: return types & kNull;
    case json::value_t::boolean: return types & kBoolean;
    case json::value_t::object: return types & kObject;
    case json::value_t::array: return types & kArray;
    case json::value_t::string: return types & kString;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return types & (kNumber | kInteger);
    case json::value_t::number_float: {
      if (types & kNumber) return true;
      double d = v.get<double>();
      return (types & kInteger) && std::isfinite(d) && d == std::floor(d);  // 3.0 is an integer in JSON Schema
    }
    default: return false;
  }
}

// Numbers compare by value (1 == 1.0), as JSON Schema's enum and const want.
bool JsonEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!JsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto o = b.find(it.key());
      if (o == b.end() || !JsonEqual(it.value(), *o)) return false;
    }
    return true;
  }
  return a == b;
}


class Checker {
 public:
  explicit Checker(std::vector<FieldError>& errors) : errors_(errors) {}

  void Check(const Node* n, const json& v, const Path& path) {
    while (n->ref) n = n->ref;  // draft-07: siblings of $ref are annotations
    if (errors_.size() >= kMaxListedErrors) return;
    if (n->types && !HasType(v, n->types)) return Error(path, "must be " + TypeNames(n->types) + " (got " + Shown(v) + ")");
    if (!n->enum_values.empty()) {
      bool found = std::any_of(n->enum_values.begin(), n->enum_values.end(), [&](const json& e) { return JsonEqual(e, v); });
      if (!found) {
        std::string allowed;
        for (const auto& e : n->enum_values) allowed += (allowed.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
        return Error(path, "must be one of " + allowed + " (got " + Shown(v) + ")");
      }
    }
    if (n->const_value && !JsonEqual(*n->const_value, v)) return Error(path, "must be " + n->const_value->dump() + " (got " + Shown(v) + ")");
    if (v.is_number()) CheckNumber(*n, v.get<double>(), path);
    else if (v.is_string()) CheckString(*n, v.get_ref<const std::string&>(), path);
    else if (v.is_object()) CheckObject(*n, v, path);
    else if (v.is_array()) CheckArray(*n, v, path);
    for (const Node* s : n->all_of) Check(s, v, path);
    if (!n->any_of.empty() && Passing(n->any_of, v, path) == 0) Error(path, Alternatives(*n, n->any_of, "must match at least one of"));
    if (!n->one_of.empty()) {
      size_t passing = Passing(n->one_of, v, path);
      if (passing != 1) Error(path, Alternatives(*n, n->one_of, passing == 0 ? "must match one of" : "matches more than one of"));
    }
    if (n->not_schema && Passes(n->not_schema, v, path)) {
      const Node* target = n->not_schema;
      while (target->ref) target = target->ref;
      Error(path, target->description.empty() ? "is not allowed here" : "must not be " + Expected(*target));
    }
  }

  bool Passes(const Node* n, const json& v, const Path& path) {
    std::vector<FieldError> scratch;
    Checker inner(scratch);
    inner.Check(n, v, path);
    return scratch.empty();
  }

 private:
  void Error(const Path& path, std::string message) {
    if (errors_.size() < kMaxListedErrors) errors_.push_back({path.Pointer(), std::move(message)});
  }

  size_t Passing(const std::vector<const Node*>& branches, const json& v, const Path& path) {
    size_t n = 0;
    for (const Node* b : branches) n += Passes(b, v, path);
    return n;
  }

  // Alternatives named by their descriptions; one shared description (e.g.
  // "Exactly one of profile and profile_id.") is the whole message.
  static std::string Alternatives(const Node& parent, const std::vector<const Node*>& branches, const std::string& lead) {
    std::vector<std::string> names;
    for (const Node* b : branches) {
      while (b->ref) b = b->ref;
      std::string d = Expected(*b);
      if (!d.empty() && std::find(names.begin(), names.end(), d) == names.end()) names.push_back(d);
    }
    if (names.size() == 1) return names[0];
    if (names.empty()) return parent.description.empty() ? lead + " the allowed forms" : lead + " the forms of " + Expected(parent);
    std::string out = lead + ": ";
    for (size_t i = 0; i < names.size(); ++i) out += (i ? "; " : "") + names[i];
    return out;
  }

  void CheckNumber(const Node& n, double d, const Path& path) {
    if (n.minimum && d < *n.minimum) Error(path, "must be at least " + Num(*n.minimum) + " (got " + Num(d) + ")");
    if (n.maximum && d > *n.maximum) Error(path, "must be at most " + Num(*n.maximum) + " (got " + Num(d) + ")");
    if (n.exclusive_minimum && d <= *n.exclusive_minimum) Error(path, "must be more than " + Num(*n.exclusive_minimum) + " (got " + Num(d) + ")");
    if (n.exclusive_maximum && d >= *n.exclusive_maximum) Error(path, "must be less than " + Num(*n.exclusive_maximum) + " (got " + Num(d) + ")");
  }

  void CheckString(const Node& n, const std::string& s, const Path& path) {
    // Lengths first: a pattern or format never runs on a string already too long.
    if (n.min_length || n.max_length) {
      size_t len = Utf8Length(s);
      if (n.min_length && len < *n.min_length) {
        return Error(path, *n.min_length == 1 ? std::string("must not be empty")
                                              : "must be at least " + std::to_string(*n.min_length) + " characters long (got " + std::to_string(len) + ")");
      }
      if (n.max_length && len > *n.max_length) {
        return Error(path, "must be at most " + std::to_string(*n.max_length) + " characters long (got " + std::to_string(len) + ")");
      }
    }
    if (n.pattern && !RE2::PartialMatch(s, *n.pattern)) {
      std::string what = Expected(n);
      return Error(path, (what.empty() ? "must match " + n.pattern->pattern() : "must be " + what) + " (got " + Shown(json(s)) + ")");
    }
    if (n.format == "date-time") {
      std::string why;
      if (!ParseRfc3339(s, &why)) Error(path, "must be an RFC 3339 date-time such as 2026-11-01T00:00:00Z: " + why + " (got " + Shown(json(s)) + ")");
    }
  }

  void CheckObject(const Node& n, const json& v, const Path& path) {
    if (n.min_properties && v.size() < *n.min_properties) Error(path, "must have at least " + std::to_string(*n.min_properties) + " properties");
    if (n.max_properties && v.size() > *n.max_properties) {
      Error(path, "must have at most " + std::to_string(*n.max_properties) + " properties (got " + std::to_string(v.size()) + ")");
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      Path child{&path, it.key()};
      if (n.property_names) {
        std::vector<FieldError> name_errors;
        Checker names(name_errors);
        names.Check(n.property_names, json(it.key()), child);
        for (auto& e : name_errors) Error(path, "property name \"" + ToValidUtf8(it.key()) + "\" " + e.message);
      }
      auto p = n.properties.find(it.key());
      if (p != n.properties.end()) {
        Check(p->second, it.value(), child);
      } else if (n.additional) {
        Check(n.additional, it.value(), child);
      } else if (!n.additional_allowed) {
        std::string allowed;
        for (const auto& [name, _] : n.properties) allowed += (allowed.empty() ? "" : ", ") + name;
        Error(path, "unknown property \"" + ToValidUtf8(it.key()) + "\"" + (allowed.empty() ? "" : "; allowed: " + allowed));
      }
    }
    for (const auto& r : n.required) {
      if (!v.contains(r)) Error(path, "missing required property \"" + r + "\"");
    }
  }

  void CheckArray(const Node& n, const json& v, const Path& path) {
    if (n.min_items && v.size() < *n.min_items) {
      Error(path, "must hold at least " + std::to_string(*n.min_items) + " item" + (*n.min_items == 1 ? "" : "s") + " (got " + std::to_string(v.size()) + ")");
    }
    if (n.max_items && v.size() > *n.max_items) {
      Error(path, "must hold at most " + std::to_string(*n.max_items) + " items (got " + std::to_string(v.size()) + ")");
    }
    if (n.unique_items) {
      for (size_t i = 0; i < v.size(); ++i)
        for (size_t j = i + 1; j < v.size(); ++j)
          if (JsonEqual(v[i], v[j])) {
            Path at{&path, {}, j, true};
            Error(at, "repeats item " + std::to_string(i) + " (" + Shown(v[i]) + "); items must be unique");
            i = j = v.size();
          }
    }
    if (n.items) {
      for (size_t i = 0; i < v.size(); ++i) Check(n.items, v[i], Path{&path, {}, i, true});
    }
  }

  std::vector<FieldError>& errors_;
};

}  // namespace

// "../provider.json" from "openapi/openapi.json" is "provider.json".
std::string ResolveRelative(const std::string& from, const std::string& ref) {
  std::string dir = from.find('/') == std::string::npos ? "" : from.substr(0, from.rfind('/') + 1);
  std::string path = dir + ref;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

struct SchemaSet::Impl {
  std::map<std::string, json, std::less<>> documents;
  std::deque<Node> nodes;                                  // stable addresses
  std::map<std::string, Node*, std::less<>> by_location;   // "file#/pointer"
  std::map<std::string, const Node*, std::less<>> roots;   // what Validate accepts

  Status Parse(const std::map<std::string, std::string>& files) {
    for (const auto& [name, text] : files) {
      auto parsed = ParseJson(text);
      if (!parsed.ok()) return Internal("schema " + name + " is not JSON: " + parsed.status().ToString());
      documents.emplace(name, std::move(parsed).value());
    }
    return Status::Ok();
  }

  Result<Node*> Compile(const std::string& file, const std::string& pointer) {
    std::string where = file + "#" + pointer;
    if (auto it = by_location.find(where); it != by_location.end()) return it->second;
    auto doc = documents.find(file);
    if (doc == documents.end()) return NotFound("no schema named " + file);
    const json* s;
    try {
      s = &doc->second.at(json::json_pointer(pointer));
    } catch (const json::exception&) {
      return NotFound("no definition " + where);
    }
    Node& n = nodes.emplace_back();
    n.where = where;
    by_location.emplace(where, &n);
    if (!s->is_object()) return Internal("schema " + where + " is not an object");
    for (const auto& [key, v] : s->items()) {
      if (kAnnotations.count(key) && key != "description") continue;
      ICB_ASSIGN_OR_RETURN(bool known, CompileValueKeyword(n, key, v));
      if (known) continue;
      ICB_ASSIGN_OR_RETURN(known, CompileStructureKeyword(n, file, pointer, key, v));
      if (!known) {
        return Internal("schema " + where + " uses keyword \"" + key + "\", which the validator does not check (refused so that no rule is skipped)");
      }
    }
    return &n;
  }

  // Keywords about the value itself: type, enum, bounds, pattern, format.
  // False: not one of these.
  static Result<bool> CompileValueKeyword(Node& n, const std::string& key, const json& v) {
    auto size = [&](std::optional<size_t>& out) -> Result<bool> {
      if (!v.is_number_unsigned()) return Internal("schema " + n.where + ": " + key + " must be a non-negative integer");
      out = v.get<size_t>();
      return true;
    };
    if (key == "description") {
      n.description = v.get<std::string>();
    } else if (key == "type") {
      std::vector<std::string> names = v.is_array() ? v.get<std::vector<std::string>>() : std::vector<std::string>{v.get<std::string>()};
      for (const auto& t : names) {
        static const std::map<std::string, unsigned> kBits = {{"null", kNull}, {"boolean", kBoolean}, {"object", kObject}, {"array", kArray},
                                                              {"number", kNumber}, {"integer", kInteger}, {"string", kString}};
        auto bit = kBits.find(t);
        if (bit == kBits.end()) return Internal("schema " + n.where + ": unknown type " + t);
        n.types |= bit->second;
      }
    } else if (key == "enum") {
      n.enum_values = v.get<std::vector<json>>();
    } else if (key == "const") {
      n.const_value = v;
    } else if (key == "minimum") {
      n.minimum = v.get<double>();
    } else if (key == "maximum") {
      n.maximum = v.get<double>();
    } else if (key == "exclusiveMinimum") {
      n.exclusive_minimum = v.get<double>();
    } else if (key == "exclusiveMaximum") {
      n.exclusive_maximum = v.get<double>();
    } else if (key == "minLength") {
      return size(n.min_length);
    } else if (key == "maxLength") {
      return size(n.max_length);
    } else if (key == "minItems") {
      return size(n.min_items);
    } else if (key == "maxItems") {
      return size(n.max_items);
    } else if (key == "minProperties") {
      return size(n.min_properties);
    } else if (key == "maxProperties") {
      return size(n.max_properties);
    } else if (key == "uniqueItems") {
      n.unique_items = v.get<bool>();
    } else if (key == "pattern") {
      RE2::Options options;
      options.set_log_errors(false);
      n.pattern = std::make_unique<RE2>(v.get<std::string>(), options);
      if (!n.pattern->ok()) return Internal("schema " + n.where + ": pattern does not compile: " + n.pattern->error());
    } else if (key == "format") {
      n.format = v.get<std::string>();
      if (n.format != "date-time") return Internal("schema " + n.where + ": format " + n.format + " is refused: the validator checks only date-time");
    } else {
      return false;
    }
    return true;
  }

  // Keywords that lead to other schemas: $ref, properties, items and the
  // combinators. False: not one of these.
  Result<bool> CompileStructureKeyword(Node& n, const std::string& file, const std::string& pointer, const std::string& key, const json& v) {
    auto sub = [&](const std::string& k) { return Compile(file, pointer + "/" + k); };
    if (key == "$ref") {
      std::string ref = v.get<std::string>();
      auto hash = ref.find('#');
      std::string target_file = hash == 0 ? file : ResolveRelative(file, ref.substr(0, hash));
      std::string target_pointer = hash == std::string::npos ? "" : ref.substr(hash + 1);
      ICB_ASSIGN_OR_RETURN(n.ref, Compile(target_file, target_pointer));
    } else if (key == "properties") {
      for (const auto& [name, _] : v.items()) {
        ICB_ASSIGN_OR_RETURN(Node * p, Compile(file, JsonPointerAppend(pointer + "/properties", name)));
        n.properties.emplace(name, p);
      }
    } else if (key == "required") {
      n.required = v.get<std::vector<std::string>>();
    } else if (key == "additionalProperties") {
      if (v.is_boolean()) {
        n.additional_allowed = v.get<bool>();
      } else {
        ICB_ASSIGN_OR_RETURN(n.additional, sub(key));
      }
    } else if (key == "propertyNames") {
      ICB_ASSIGN_OR_RETURN(n.property_names, sub(key));
    } else if (key == "items") {
      if (!v.is_object()) return Internal("schema " + n.where + ": items must be a single schema (tuple form is refused)");
      ICB_ASSIGN_OR_RETURN(n.items, sub(key));
    } else if (key == "not") {
      ICB_ASSIGN_OR_RETURN(n.not_schema, sub(key));
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
      auto& list = key == "allOf" ? n.all_of : key == "anyOf" ? n.any_of : n.one_of;
      for (size_t i = 0; i < v.size(); ++i) {
        ICB_ASSIGN_OR_RETURN(Node * b, Compile(file, pointer + "/" + key + "/" + std::to_string(i)));
        list.push_back(b);
      }
    } else {
      return false;
    }
    return true;
  }
};

SchemaSet::SchemaSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaSet::~SchemaSet() = default;

Result<std::shared_ptr<const SchemaSet>> SchemaSet::Load(const std::map<std::string, std::string>& files) {
  auto impl = std::make_unique<Impl>();
  ICB_RETURN_IF_ERROR(impl->Parse(files));
  try {
    for (const auto& [name, doc] : impl->documents) {
      ICB_ASSIGN_OR_RETURN(Node * root, impl->Compile(name, ""));
      impl->roots.emplace(name, root);
      if (doc.contains("definitions") && doc.contains("oneOf")) {
        // Documents dispatched by a discriminator (event.json) get each definition as a root too.
        for (const auto& [def, body] : doc["definitions"].items()) {
          std::string pointer = "/definitions/" + def;
          ICB_ASSIGN_OR_RETURN(Node * d, impl->Compile(name, pointer));
          impl->roots.emplace(name + "#" + pointer, d);
        }
      }
    }
  } catch (const json::exception& e) {
    return Internal(std::string("a schema has a keyword of the wrong type: ") + e.what());
  }
  return std::shared_ptr<const SchemaSet>(new SchemaSet(std::move(impl)));
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::LoadRoots(const std::map<std::string, std::string>& files, const std::vector<std::string>& roots) {
  auto impl = std::make_unique<Impl>();
  ICB_RETURN_IF_ERROR(impl->Parse(files));
  try {
    for (const auto& root : roots) {
      auto hash = root.find('#');
      ICB_ASSIGN_OR_RETURN(Node * n, impl->Compile(root.substr(0, hash), hash == std::string::npos ? "" : root.substr(hash + 1)));
      impl->roots.emplace(root, n);
    }
  } catch (const json::exception& e) {
    return Internal(std::string("a schema has a keyword of the wrong type: ") + e.what());
  }
  return std::shared_ptr<const SchemaSet>(new SchemaSet(std::move(impl)));
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::LoadEmbedded() {
  std::map<std::string, std::string> files;
  for (const auto& f : EmbeddedSchemas()) {
    // Only top-level schema files; examples live under examples/.
    if (f.path.find('/') == std::string_view::npos && f.path.ends_with(".json")) {
      files.emplace(std::string(f.path), std::string(f.content));
    }
  }
  return Load(files);
}

bool SchemaSet::Has(std::string_view schema) const { return impl_->roots.find(schema) != impl_->roots.end(); }

std::vector<std::string> SchemaSet::WriteOnlyProperties(std::string_view schema) const {
  std::vector<std::string> out;
  auto doc = impl_->documents.find(schema);
  if (doc == impl_->documents.end() || !doc->second.contains("properties")) return out;
  for (const auto& [name, property] : doc->second["properties"].items())
    if (property.is_object() && property.value("writeOnly", false)) out.push_back(name);
  return out;
}

std::vector<std::string> SchemaSet::DocumentSchemas() const {
  std::vector<std::string> out;
  for (const auto& [name, doc] : impl_->documents)
    if (doc.is_object() && doc.contains("properties")) out.push_back(name);
  return out;
}

std::vector<std::string> SchemaSet::TopLevelProperties(std::string_view schema) const {
  std::set<std::string> out;
  auto doc = impl_->documents.find(schema);
  if (doc == impl_->documents.end() || !doc->second.contains("properties")) return {};
  const json& d = doc->second;
  for (const auto& [name, _] : d["properties"].items()) out.insert(name);
  // A document dispatched by a discriminator (event.json): each variant's fields too.
  if (d.contains("definitions") && d.contains("oneOf")) {
    for (const auto& [_, variant] : d["definitions"].items())
      if (variant.is_object() && variant.contains("properties"))
        for (const auto& [name, __] : variant["properties"].items()) out.insert(name);
  }
  return {out.begin(), out.end()};
}

Status SchemaSet::Validate(std::string_view schema, const json& doc) const {
  auto it = impl_->roots.find(schema);
  if (it == impl_->roots.end()) return Internal("unknown schema " + std::string(schema));
  std::vector<FieldError> errors;
  Checker checker(errors);
  Path root;
  checker.Check(it->second, doc, root);
  if (errors.empty()) return Status::Ok();
  // The checker stops listing at kMaxListedErrors; past that there may be more.
  std::string summary = errors.size() < kMaxListedErrors ? CountedErrors(errors.size(), errors.size(), "schema violation", "schema violations")
                                                         : "at least " + std::to_string(errors.size()) + " schema violations (the first " +
                                                               std::to_string(errors.size()) + " listed)";
  return InvalidArgument(summary, std::move(errors));
}

Result<json> SchemaSet::ParseAndValidate(std::string_view schema, std::string_view text) const {
  ICB_ASSIGN_OR_RETURN(json doc, ParseJson(text));
  ICB_RETURN_IF_ERROR(Validate(schema, doc));
  return doc;
}

}  // namespace icb
