#include "broker/auth/credential_store.h"

#include <algorithm>

#include "broker/core/ids.h"
#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

json CredentialInfoJson(const CredentialInfo& info) {
  return {{"name", info.name}, {"fields", info.fields}, {"updated_at", FormatRfc3339(info.updated_at)}, {"key_id", info.key_id}};
}

Status CheckCredentialFields(const json& fields) {
  if (!fields.is_object() || fields.empty())
    return InvalidArgument("credential fields: expected an object of field -> value", {{"", "expected a non-empty object"}});
  if (fields.size() > kMaxCredentialFields)
    return InvalidArgument("too many credential fields", {{"", "at most " + std::to_string(kMaxCredentialFields) + " fields"}});
  for (const auto& [field, value] : fields.items()) {
    if (field.empty() || field.size() > 64 ||
        field.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
      return InvalidArgument("credential field names are 1 to 64 letters, digits, '_' and '-'", {{"", "a field name is 1 to 64 of A-Z a-z 0-9 _ -"}});
    const std::string at = "/" + field;  // needs no escaping: checked above
    if (!value.is_string() && !value.is_number() && !value.is_boolean())
      return InvalidArgument("credential field is not a string, number or boolean (value not shown)", {{at, "expected a string, number or boolean"}});
    if (value.is_string() && value.get_ref<const std::string&>().size() > kMaxCredentialValueBytes)
      return InvalidArgument("credential field too long (value not shown)", {{at, "at most " + std::to_string(kMaxCredentialValueBytes) + " bytes"}});
  }
  if (fields.dump().size() > SecretKeyRing::kMaxPlaintextBytes)
    return InvalidArgument("credential too large (values not shown)",
                           {{"", "at most " + std::to_string(SecretKeyRing::kMaxPlaintextBytes) + " bytes in all, as JSON"}});
  return Status::Ok();
}

Result<CredentialInfo> CredentialStore::Put(const std::string& name, const json& fields) {
  if (!IsValidId(name)) return InvalidArgument("a credential name is 1 to 64 of a-z, 0-9, '.', '_' and '-'", {{"/name", "not an id"}});
  ICB_RETURN_IF_ERROR(CheckCredentialFields(fields));
  CredentialInfo info{name, {}, clock_.Now(), ring_.current_id()};
  for (const auto& [field, value] : fields.items()) info.fields.push_back(field);
  Status s = Write(info, ring_.Seal(name, fields.dump()));
  if (!s.ok()) return s;
  return info;
}

std::string CredentialStore::Record(const CredentialInfo& info, const std::string& sealed) {
  return json{{"sealed", sealed}, {"fields", info.fields}, {"updated_at", FormatRfc3339(info.updated_at)}}.dump();
}

Status CredentialStore::Write(const CredentialInfo& info, const std::string& sealed) {
  WriteBatch batch;
  batch.HashSet(std::string(kCredentialsKey), info.name, Record(info, sealed));
  auto applied = store_.Apply(batch);
  return applied.ok() ? Status::Ok() : applied.status();
}

Result<std::optional<std::pair<CredentialInfo, std::string>>> CredentialStore::Read(std::string_view name, std::string* raw_record) {
  auto raw = store_.HashGet(kCredentialsKey, name);
  if (!raw.ok()) return raw.status();
  if (!*raw) return std::optional<std::pair<CredentialInfo, std::string>>();
  if (raw_record) *raw_record = **raw;
  json record = json::parse(**raw, nullptr, false);
  if (!record.is_object() || !record.contains("sealed") || !record["sealed"].is_string() || !record.contains("fields") ||
      !record["fields"].is_array())
    return Internal("stored credential " + std::string(name) + " is not a credential record");
  CredentialInfo info;
  info.name = std::string(name);
  for (const auto& f : record["fields"])
    if (f.is_string()) info.fields.push_back(f.get<std::string>());
  info.updated_at = ParseRfc3339(record.value("updated_at", "")).value_or(TimePoint{});
  const std::string sealed = record["sealed"].get<std::string>();
  info.key_id = SecretKeyRing::KeyIdOf(sealed);
  return std::optional(std::make_pair(std::move(info), sealed));
}

Result<std::optional<CredentialInfo>> CredentialStore::Get(std::string_view name) {
  auto read = Read(name);
  if (!read.ok()) return read.status();
  if (!*read) return std::optional<CredentialInfo>();
  return std::optional((*read)->first);
}

Result<std::vector<CredentialInfo>> CredentialStore::List() {
  auto names = store_.HashKeys(kCredentialsKey);
  if (!names.ok()) return names.status();
  std::vector<std::string> sorted = *names;
  std::sort(sorted.begin(), sorted.end());
  std::vector<CredentialInfo> out;
  for (const auto& name : sorted) {
    auto read = Read(name);
    if (!read.ok()) return read.status();
    if (*read) out.push_back((*read)->first);  // deleted meanwhile: skipped
  }
  return out;
}

Result<bool> CredentialStore::Delete(std::string_view name) {
  WriteBatch batch;
  batch.HashDelete(std::string(kCredentialsKey), std::string(name));
  auto applied = store_.Apply(batch);
  if (!applied.ok()) return applied.status();
  return applied->at(0) == 1;
}

Result<json> CredentialStore::Open(std::string_view name) {
  auto read = Read(name);
  if (!read.ok()) return read.status();
  if (!*read) return NotFound("no credentials named \"" + std::string(name) + "\"");
  auto opened = ring_.Open(name, (*read)->second);
  if (!opened.ok()) return FailedPrecondition("credentials \"" + std::string(name) + "\": " + opened.status().message());
  json fields = json::parse(*opened, nullptr, false);
  if (!fields.is_object()) return Internal("credentials \"" + std::string(name) + "\" opened to something else than fields");
  return fields;
}

Result<CredentialStore::ResealReport> CredentialStore::Reseal() {
  auto names = store_.HashKeys(kCredentialsKey);
  if (!names.ok()) return names.status();
  ResealReport report;
  for (const auto& name : *names) {
    std::string before;
    auto read = Read(name, &before);
    if (!read.ok()) return read.status();
    if (!*read || (*read)->first.key_id == ring_.current_id()) continue;
    auto opened = ring_.Open(name, (*read)->second);
    if (!opened.ok()) {
      report.unopened.push_back(name + ": " + opened.status().message());
      continue;
    }
    CredentialInfo info = (*read)->first;
    info.key_id = ring_.current_id();
    // Only over what was read: a put (or another broker's reseal) that came
    // in between is newer and stays.
    WriteBatch batch;
    batch.HashSetIfEqual(std::string(kCredentialsKey), name, before, Record(info, ring_.Seal(name, *opened)));
    auto applied = store_.Apply(batch);
    if (!applied.ok()) return applied.status();
    report.resealed += applied->at(0) == 1 ? 1 : 0;
  }
  std::sort(report.unopened.begin(), report.unopened.end());
  return report;
}

}  // namespace icb
