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

Result<json> JoinCredentials(const CredentialSource& source, const std::string& name, json config) {
  ICB_ASSIGN_OR_RETURN(std::optional<json> fields, source.Fields(name));
  if (!fields) return NotFound("no credentials named \"" + name + "\"");
  if (!config.is_object()) config = json::object();
  for (const auto& [field, value] : fields->items()) config[field] = value;
  return config;
}

Result<std::optional<json>> Credentials::Fields(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::optional<json>();
  return std::optional(it->second);
}

std::vector<std::pair<std::string, std::vector<std::string>>> Credentials::Names() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& [name, fields] : entries_) {
    std::vector<std::string> names;
    for (const auto& [field, value] : fields.items()) names.push_back(field);
    out.emplace_back(name, std::move(names));
  }
  return out;
}

Result<std::optional<json>> BrokerCredentials::Fields(const std::string& name) const {
  if (file_ && file_->Has(name)) return file_->Fields(name);
  if (!store_) return std::optional<json>();
  auto opened = store_->Open(name);
  if (opened.ok()) return std::optional(std::move(*opened));
  if (opened.status().code() == StatusCode::kNotFound) return std::optional<json>();
  return opened.status();
}

Result<std::optional<json>> CredentialChange::Fields(const std::string& name) const {
  return name == name_ ? fields_ : base_.Fields(name);
}

std::vector<std::string> Credentials::Values() const {
  std::vector<std::string> out;
  for (const auto& [name, fields] : entries_)
    for (const auto& [field, value] : fields.items()) out.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  return out;
}

Status CheckAdapterRefs(const AdapterRegistry& registry, const SchemaSet& schemas, const CredentialSource* credentials, const json& doc) {
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
                        "secret " + secret + " does not belong in a document: keep it in a credential (PUT /v1/credentials/NAME, or the serve "
                        "--credentials file) and name that in \"credentials\""});
      refused = true;
    }
    if (refused) continue;
    const std::string name = ref.value("credentials", "");
    if (!name.empty() && credentials) {
      auto fields = credentials->Fields(name);
      if (!fields.ok()) return fields.status();  // the store, or a credential the key ring cannot open
      if (!*fields) {
        errors.push_back({at + "/credentials", "no credentials named \"" + name + "\" (PUT /v1/credentials/" + name +
                                                   ", or the serve --credentials file)"});
        continue;
      }
      for (const auto& [field, value] : (*fields)->items()) config[field] = value;
    }
    // A secret no entry supplies: say where it must come from. Then a
    // stand-in lets the schema judge the rest without a second complaint.
    for (const auto& secret : secrets) {
      if (config.contains(secret)) continue;
      if (name.empty()) {
        errors.push_back({at + "/credentials", "adapter " + adapter + " needs secret " + secret +
                                                   ": name credentials that have it"});
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
