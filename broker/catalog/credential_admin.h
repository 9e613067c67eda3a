// Provider credentials as the admin routes manage them: the serve
// --credentials file's entries (shown here, changed only in the file) and
// the sealed ones kept in the store (serve --secrets-key). What is shown is
// a name, where it lives and its field names: never a value. A change that
// would leave a provider's adapter without what it needs is refused naming
// the provider, so a failover never first learns of it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/catalog/catalog.h"
#include "broker/ports/credentials.h"

namespace icb {

// What a put of credentials answers on a broker without a key ring.
Status NoCredentialKeyRing();

class CredentialAdmin {
 public:
  CredentialAdmin(Catalog& catalog, const AdapterRegistry& registry, const SchemaSet& schemas, const BrokerCredentials& credentials)
      : catalog_(catalog), registry_(registry), schemas_(schemas), credentials_(credentials) {}

  // {name, source: "file" | "store", fields: [...], and for the store's
  // updated_at and key_id}; by name, those after `after`, at most `limit`.
  struct Page {
    std::vector<nlohmann::json> credentials;
    std::optional<std::string> next;
  };
  Result<Page> List(const std::string& after, size_t limit);
  // NotFound when neither source has it.
  Result<nlohmann::json> Get(const std::string& name);

  struct Changed {
    nlohmann::json credential;  // as Get shows it
    bool created = false;
  };
  // Kept sealed in the store. FailedPrecondition without a key ring, for a
  // name the file holds, or when a provider naming it would no longer pass
  // its adapter's checks (errors name the provider). Field errors point
  // into `fields`, never quoting a value.
  Result<Changed> Put(const std::string& name, const nlohmann::json& fields);
  // The store's credential, removed. NotFound when there is none;
  // FailedPrecondition for the file's, or while a provider names it.
  Result<Changed> Delete(const std::string& name);

 private:
  // Every provider naming `name` checked against `after`; the first's
  // errors, or Ok.
  Status CheckProviders(const std::string& name, const CredentialSource* after);

  Catalog& catalog_;
  const AdapterRegistry& registry_;
  const SchemaSet& schemas_;
  const BrokerCredentials& credentials_;
};

}  // namespace icb
