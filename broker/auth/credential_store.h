// Provider credentials kept in the store, sealed (secret_box.h): one hash
// field per name holding {"sealed", "fields", "updated_at"}, where "fields"
// lists the field names (what an admin may see) and "sealed" is the fields'
// JSON sealed under the name. Whoever reads the store sees names and field
// names, never a value; only a broker holding the key ring opens them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/secret_box.h"
#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/store/store.h"

namespace icb {

inline constexpr std::string_view kCredentialsKey = "icb:credentials";  // hash: name -> record
inline constexpr size_t kMaxCredentialFields = 32;
inline constexpr size_t kMaxCredentialValueBytes = 8 * 1024;

// What routes show of a credential: never a value.
struct CredentialInfo {
  std::string name;
  std::vector<std::string> fields;
  TimePoint updated_at;
  std::string key_id;  // the ring key it is sealed with
};
nlohmann::json CredentialInfoJson(const CredentialInfo& info);

// A credential's fields: an object of 1 to kMaxCredentialFields string,
// number or boolean values of at most kMaxCredentialValueBytes, named by 1
// to 64 of A-Z a-z 0-9 _ -, at most SecretKeyRing::kMaxPlaintextBytes in
// all as JSON (what is sealed). Errors point at the field, never quoting its
// value.
Status CheckCredentialFields(const nlohmann::json& fields);

class CredentialStore {
 public:
  CredentialStore(Store& store, const SecretKeyRing& ring, const Clock& clock) : store_(store), ring_(ring), clock_(clock) {}

  // `name` an id (core/ids.h); `fields` as CheckCredentialFields asks.
  Result<CredentialInfo> Put(const std::string& name, const nlohmann::json& fields);
  Result<std::optional<CredentialInfo>> Get(std::string_view name);
  Result<std::vector<CredentialInfo>> List();  // by name
  // True when it existed.
  Result<bool> Delete(std::string_view name);
  // The fields, opened: what an adapter is built with. NotFound when there
  // is no such name; FailedPrecondition when the ring cannot open it.
  Result<nlohmann::json> Open(std::string_view name);
  // Every credential sealed with another key than the ring's first, sealed
  // again with it (a rotation's second step), each only if unchanged since
  // it was read. One the ring cannot open is left as it is and named in the
  // report with what it needs.
  struct ResealReport {
    size_t resealed = 0;
    std::vector<std::string> unopened;  // "NAME: why" (the key id it needs)
  };
  Result<ResealReport> Reseal();

 private:
  // Info and sealed text; the record's stored text in `raw_record` when given.
  Result<std::optional<std::pair<CredentialInfo, std::string>>> Read(std::string_view name, std::string* raw_record = nullptr);
  static std::string Record(const CredentialInfo& info, const std::string& sealed);
  Status Write(const CredentialInfo& info, const std::string& sealed);

  Store& store_;
  const SecretKeyRing& ring_;
  const Clock& clock_;
};

}  // namespace icb
