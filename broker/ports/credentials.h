// Adapter secrets, by name, from the file given to `serve --credentials`
// (JSON: name -> the adapter's secret fields, e.g. {"lab-s3": {"access_key":
// "...", "secret_key": "..."}}). Documents only name them; the fields are
// joined to an adapter's configuration when it is built. No error or
// message from here quotes a secret.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/ports/registry.h"
#include "broker/core/status.h"

namespace icb {

class Credentials {
 public:
  // Refused unless the file is a regular file with mode 0600 or stricter
  // (no group or other bits) and its JSON has that shape.
  static Result<Credentials> LoadFile(const std::string& path);
  static Result<Credentials> FromJson(const nlohmann::json& doc);

  bool Has(const std::string& name) const { return entries_.count(name) > 0; }
  // The entry's fields joined to `config` (a field in both: the entry's).
  Result<nlohmann::json> Join(const std::string& name, nlohmann::json config) const;
  // Every secret value: what a test looks for in answers and logs.
  std::vector<std::string> Values() const;

 private:
  std::map<std::string, nlohmann::json> entries_;
};

// Checks a provider document's adapter references when it is stored: each
// names an adapter registered for its capability; its config holds none of
// the adapter's secret (writeOnly) fields; the secrets it needs come from a
// named credentials entry that has them (when `credentials` is given: the
// broker's loaded file); and the config, with them joined, passes the
// adapter's schema. Errors point into the document and never quote a secret.
Status CheckAdapterRefs(const AdapterRegistry& registry, const SchemaSet& schemas, const Credentials* credentials,
                        const nlohmann::json& provider_doc);

}  // namespace icb
