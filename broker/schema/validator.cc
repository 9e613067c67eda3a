#include "broker/schema/validator.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "broker/core/embedded.h"

namespace icb {

using nlohmann::json;

Result<json> ParseJson(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return InvalidArgument("malformed JSON", {{"", "malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                                       std::string(e.what()).substr(std::string(e.what()).find(':') + 2)}});
  }
}

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

// valijson describes a location as {"<root>", "[name]", "[0]", ...}.
std::string ContextToPointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') out = JsonPointerAppend(out, c.substr(1, c.size() - 2));
    else out = JsonPointerAppend(out, c);
  }
  return out;
}

bool IsStrictPrefix(const std::string& prefix, const std::string& s) {
  return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0 && s[prefix.size()] == '/';
}

}  // namespace

struct SchemaSet::Impl {
  std::map<std::string, json, std::less<>> documents;
  std::map<std::string, std::unique_ptr<valijson::Schema>, std::less<>> compiled;

  Status Compile(const std::string& name) {
    auto hash = name.find('#');
    std::string file = name.substr(0, hash);
    auto doc = documents.find(file);
    if (doc == documents.end()) return NotFound("no schema named " + file);
    const json* node = &doc->second;
    if (hash != std::string::npos) {
      try {
        node = &doc->second.at(json::json_pointer(name.substr(hash + 1)));
      } catch (const json::exception&) {
        return NotFound("no definition " + name);
      }
    }
    auto schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(*node);
    auto fetch = [this](const std::string& uri) -> const json* {
      auto it = documents.find(uri);
      return it == documents.end() ? nullptr : new json(it->second);
    };
    auto release = [](const json* d) { delete d; };
    try {
      parser.populateSchema(adapter, *schema, fetch, release);
    } catch (const std::exception& e) {
      return Internal("schema " + name + " does not compile: " + e.what());
    }
    compiled.emplace(name, std::move(schema));
    return Status::Ok();
  }
};

SchemaSet::SchemaSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaSet::~SchemaSet() = default;

Result<std::shared_ptr<const SchemaSet>> SchemaSet::Load(const std::map<std::string, std::string>& files) {
  auto impl = std::make_unique<Impl>();
  for (const auto& [name, text] : files) {
    auto parsed = ParseJson(text);
    if (!parsed.ok()) return Internal("schema " + name + " is not JSON: " + parsed.status().ToString());
    impl->documents.emplace(name, std::move(parsed).value());
  }
  std::vector<std::string> names;
  for (const auto& [name, doc] : impl->documents) {
    names.push_back(name);
    if (doc.contains("definitions") && doc.contains("oneOf")) {
      // Documents dispatched by a discriminator (event.json) get each definition compiled too.
      for (const auto& [def, body] : doc["definitions"].items()) names.push_back(name + "#/definitions/" + def);
    }
  }
  for (const auto& n : names) ICB_RETURN_IF_ERROR(impl->Compile(n));
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

bool SchemaSet::Has(std::string_view schema) const { return impl_->compiled.find(schema) != impl_->compiled.end(); }

Status SchemaSet::Validate(std::string_view schema, const json& doc) const {
  auto it = impl_->compiled.find(schema);
  if (it == impl_->compiled.end()) return Internal("unknown schema " + std::string(schema));
  thread_local valijson::Validator validator;  // caches compiled regexes; not thread-safe, so one per thread
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (validator.validate(*it->second, target, &results)) return Status::Ok();

  std::vector<FieldError> all;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) all.push_back({ContextToPointer(e.context), e.description});
  // valijson reports each failing ancestor too ("failed to validate property x");
  // keep only the deepest errors, which name the actual problem.
  std::vector<FieldError> deepest;
  for (const auto& a : all) {
    bool has_deeper = std::any_of(all.begin(), all.end(), [&](const FieldError& b) { return IsStrictPrefix(a.pointer, b.pointer); });
    bool generic = a.message.rfind("Failed to validate", 0) == 0;
    bool dup = std::find(deepest.begin(), deepest.end(), a) != deepest.end();
    if (!has_deeper && !dup && !(generic && all.size() > 1)) deepest.push_back(a);
  }
  if (deepest.empty()) deepest = all;
  // Name the offending value, so "Failed to match regex" says what was sent.
  for (auto& fe : deepest) {
    try {
      const json& v = doc.at(json::json_pointer(fe.pointer));
      if (!v.is_object() && !v.is_array()) {
        std::string shown = v.dump();
        if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
        fe.message += " (got " + shown + ")";
      }
    } catch (const json::exception&) {
      // The pointer names a missing member; the message already says so.
    }
  }
  std::string summary = std::to_string(deepest.size()) + " schema violation" + (deepest.size() == 1 ? "" : "s");
  return InvalidArgument(summary, std::move(deepest));
}

Result<json> SchemaSet::ParseAndValidate(std::string_view schema, std::string_view text) const {
  ICB_ASSIGN_OR_RETURN(json doc, ParseJson(text));
  ICB_RETURN_IF_ERROR(Validate(schema, doc));
  return doc;
}

}  // namespace icb
