#include "broker/ports/credentials.h"

#include <algorithm>

#include "broker/core/owner_only_file.h"
#include "broker/schema/validator.h"

namespace icb {

using nlohmann::json;

constexpr size_t kMaxCredentialsFileBytes = 16 << 20;  // far above any real file: a bound, not a policy

Result<Credentials> Credentials::LoadFile(const std::string& path) {
  auto text = ReadOwnerOnlyFile(path, "credentials file", kMaxCredentialsFileBytes);
  if (!text.ok()) return text.status();
  json doc;
  try {
    doc = json::parse(*text);
  } catch (const json::parse_error& e) {
    // nlohmann's message quotes what it last read: a secret, perhaps.
    return InvalidArgument("credentials file " + path + " is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
  return FromJson(doc);
}

Result<Credentials> Credentials::FromJson(const json& doc) {
  if (!doc.is_object()) return InvalidArgument("credentials: expected an object of name -> {field: value}");
  Credentials out;
  for (const auto& [name, fields] : doc.items()) {
    if (!fields.is_object()) return InvalidArgument("credentials \"" + name + "\": expected an object of field -> value");
    for (const auto& [field, value] : fields.items())
      if (!value.is_string() && !value.is_number() && !value.is_boolean())
        return InvalidArgument("credentials \"" + name + "\": field " + field + " is not a string, number or boolean");
    out.entries_.emplace(name, fields);
  }
  return out;
}

Result<json> Credentials::Join(const std::string& name, json config) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return NotFound("no credentials named \"" + name + "\"");
  if (!config.is_object()) config = json::object();
  for (const auto& [field, value] : it->second.items()) config[field] = value;
  return config;
}

std::vector<std::string> Credentials::Values() const {
  std::vector<std::string> out;
  for (const auto& [name, fields] : entries_)
    for (const auto& [field, value] : fields.items()) out.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

Status CheckAdapterRefs(const AdapterRegistry& registry, const SchemaSet& schemas, const Credentials* credentials, const json& doc) {
  if (!doc.is_object() || !doc.contains("adapters") || !doc["adapters"].is_object()) return Status::Ok();
  std::vector<FieldError> errors;
  for (const auto& [capability, ref] : doc["adapters"].items()) {
    const std::string at = JsonPointer({"adapters", capability});
    if (!ref.is_object() || !ref.contains("adapter") || !ref["adapter"].is_string()) continue;  // the provider schema says so
    const std::string adapter = ref["adapter"].get<std::string>();
    auto known = registry.NamesFor(capability);
    if (std::find(known.begin(), known.end(), adapter) == known.end()) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      errors.push_back({at + "/adapter", "no " + capability + " adapter \"" + adapter + "\"; known: " + list});
      continue;
    }
    const std::string schema = "adapter_" + adapter + ".json";
    const auto secrets = schemas.WriteOnlyProperties(schema);
    json config = ref.contains("config") && ref["config"].is_object() ? ref["config"] : json::object();
    bool refused = false;
    for (const auto& secret : secrets) {
      if (!config.contains(secret)) continue;
      errors.push_back({JsonPointerAppend(at + "/config", secret),
                        "secret " + secret + " does not belong in a document: put it in the serve --credentials file and name that entry in "
                        "\"credentials\""});
      refused = true;
    }
    if (refused) continue;
    const std::string name = ref.value("credentials", "");
    if (!name.empty() && credentials) {
      if (!credentials->Has(name)) {
        errors.push_back({at + "/credentials", "no credentials named \"" + name + "\" in the serve --credentials file"});
        continue;
      }
      config = *credentials->Join(name, config);
    }
    // A secret no entry supplies: say where it must come from. Then a
    // stand-in lets the schema judge the rest without a second complaint.
    for (const auto& secret : secrets) {
      if (config.contains(secret)) continue;
      if (name.empty()) {
        errors.push_back({at + "/credentials", "adapter " + adapter + " needs secret " + secret +
                                                   ": name a serve --credentials entry that has it"});
      } else if (credentials) {
        errors.push_back({at + "/credentials", "credentials \"" + name + "\" have no " + secret + ", which adapter " + adapter + " needs"});
      }
      config[secret] = "stand-in";
    }
    Status s = schemas.Validate(schema, config);
    for (const auto& e : s.errors()) {
      bool secret = std::any_of(secrets.begin(), secrets.end(), [&](const std::string& f) {
        return e.pointer == "/" + f || e.pointer.starts_with("/" + f + "/");
      });
      if (secret) errors.push_back({at + "/credentials", "credentials \"" + name + "\": " + e.pointer.substr(1) + " is not valid for adapter " +
                                                            adapter + " (value not shown)"});
      else errors.push_back({at + "/config" + e.pointer, e.message});
    }
  }
  if (errors.empty()) return Status::Ok();
  const size_t n = errors.size();
  return InvalidArgument(CountedErrors(n, n, "adapter configuration error", "adapter configuration errors"), std::move(errors));
}

}  // namespace icb
