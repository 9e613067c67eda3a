#include "broker/catalog/credential_admin.h"

#include <algorithm>

#include "broker/core/ids.h"

namespace icb {

using nlohmann::json;

namespace {

json FileCredentialJson(const std::string& name, const std::vector<std::string>& fields) {
  return {{"name", name}, {"source", "file"}, {"fields", fields}};
}

json StoredCredentialJson(const CredentialInfo& info) {
  json out = CredentialInfoJson(info);
  out["source"] = "store";
  return out;
}

}  // namespace

Status NoCredentialKeyRing() {
  return FailedPrecondition("this broker keeps no credentials of its own: start it with --secrets-key FILE (or put them in the serve --credentials file)");
}

Result<CredentialAdmin::Page> CredentialAdmin::List(const std::string& after, size_t limit) {
  std::map<std::string, json> all;
  if (CredentialStore* store = credentials_.store()) {
    ICB_ASSIGN_OR_RETURN(auto stored, store->List());
    for (const auto& info : stored) all[info.name] = StoredCredentialJson(info);
  }
  if (const Credentials* file = credentials_.file())
    for (const auto& [name, fields] : file->Names()) all[name] = FileCredentialJson(name, fields);  // the file's wins
  Page page;
  for (auto it = all.upper_bound(after); it != all.end(); ++it) {
    if (page.credentials.size() == limit) {
      page.next = page.credentials.back()["name"].get<std::string>();
      break;
    }
    page.credentials.push_back(std::move(it->second));
  }
  return page;
}

Result<json> CredentialAdmin::Get(const std::string& name) {
  if (const Credentials* file = credentials_.file(); file && file->Has(name))
    for (const auto& [known, fields] : file->Names())
      if (known == name) return FileCredentialJson(name, fields);
  if (CredentialStore* store = credentials_.store()) {
    ICB_ASSIGN_OR_RETURN(auto info, store->Get(name));
    if (info) return StoredCredentialJson(*info);
  }
  return NotFound("no credentials named \"" + name + "\"");
}

Status CredentialAdmin::CheckProviders(const std::string& name, const CredentialSource* after) {
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  std::vector<FieldError> errors;
  for (const auto& entry : snapshot->providers)
    for (const auto& [capability, ref] : entry.provider.adapters) {
      if (ref.credentials != name) continue;
      const std::string adapter = "provider " + entry.provider.id + "'s " + capability + " adapter (" + ref.adapter + ")";
      if (!after) {
        errors.push_back({"", adapter + " names it"});
        continue;
      }
      json config = json::parse(ref.config_json, nullptr, false);
      const json doc = {{"adapters", {{capability, {{"adapter", ref.adapter}, {"credentials", name}, {"config", config}}}}}};
      Status s = CheckAdapterRefs(registry_, schemas_, after, doc);
      if (s.ok()) continue;
      if (s.code() != StatusCode::kInvalidArgument) return s;
      for (const auto& e : s.errors()) errors.push_back({"", adapter + ": " + e.message});
    }
  if (errors.empty()) return Status::Ok();
  const size_t n = errors.size();
  return Status(StatusCode::kFailedPrecondition, after ? CountedErrors(n, n, "provider would no longer work with it", "providers would no longer work with it")
                                                      : "credentials \"" + name + "\" are in use: change those providers first",
                std::move(errors));
}

Result<CredentialAdmin::Changed> CredentialAdmin::Put(const std::string& name, const json& fields) {
  CredentialStore* store = credentials_.store();
  if (!store) return NoCredentialKeyRing();
  if (!IsValidId(name)) return InvalidArgument("a credential name is 1 to 64 of a-z, 0-9, '.', '_' and '-'");
  if (const Credentials* file = credentials_.file(); file && file->Has(name))
    return FailedPrecondition("credentials \"" + name + "\" are in the serve --credentials file: change them there");
  ICB_ASSIGN_OR_RETURN(auto before, store->Get(name));
  // The fields' own checks first (they point into the body); then what the
  // providers naming it need.
  ICB_RETURN_IF_ERROR(CheckCredentialFields(fields));
  CredentialChange after(credentials_, name, fields);
  ICB_RETURN_IF_ERROR(CheckProviders(name, &after));
  ICB_ASSIGN_OR_RETURN(CredentialInfo info, store->Put(name, fields));
  return Changed{StoredCredentialJson(info), !before.has_value()};
}

Result<CredentialAdmin::Changed> CredentialAdmin::Delete(const std::string& name) {
  if (const Credentials* file = credentials_.file(); file && file->Has(name))
    return FailedPrecondition("credentials \"" + name + "\" are in the serve --credentials file: remove them there");
  CredentialStore* store = credentials_.store();
  if (!store) return NotFound("no credentials named \"" + name + "\"");
  ICB_ASSIGN_OR_RETURN(auto info, store->Get(name));
  if (!info) return NotFound("no credentials named \"" + name + "\"");
  ICB_RETURN_IF_ERROR(CheckProviders(name, nullptr));
  ICB_ASSIGN_OR_RETURN(bool removed, store->Delete(name));
  if (!removed) return NotFound("no credentials named \"" + name + "\"");  // another replica's delete won
  return Changed{StoredCredentialJson(*info), false};
}

}  // namespace icb
