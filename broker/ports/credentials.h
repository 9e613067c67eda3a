// Adapter secrets, by name: from the file given to `serve --credentials`
// (JSON: name -> the adapter's secret fields, e.g. {"lab-s3": {"access_key":
// "...", "secret_key": "..."}}) and, sealed, from the store (admin routes,
// `serve --secrets-key`). Documents only name them; the fields are joined to
// an adapter's configuration when it is built. No error or message from
// here quotes a secret.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/auth/credential_store.h"
#include "broker/ports/registry.h"
#include "broker/core/status.h"

namespace icb {

// Where an adapter reference's named credentials come from.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The named credential's fields; nullopt when there is none by that name.
  virtual Result<std::optional<nlohmann::json>> Fields(const std::string& name) const = 0;
};

// `config` with the named credential's fields joined (a field in both: the
// credential's). NotFound when `source` has none by that name.
Result<nlohmann::json> JoinCredentials(const CredentialSource& source, const std::string& name, nlohmann::json config);

// The serve --credentials file.
class Credentials final : public CredentialSource {
 public:
  // Refused unless the file is a regular file with mode 0600 or stricter
  // (no group or other bits) and its JSON has that shape.
  static Result<Credentials> LoadFile(const std::string& path);
  static Result<Credentials> FromJson(const nlohmann::json& doc);

  bool Has(const std::string& name) const { return entries_.count(name) > 0; }
  Result<std::optional<nlohmann::json>> Fields(const std::string& name) const override;
  // Names and their field names (never a value), by name.
  std::vector<std::pair<std::string, std::vector<std::string>>> Names() const;
  // Every secret value: what a test looks for in answers and logs.
  std::vector<std::string> Values() const;

 private:
  std::map<std::string, nlohmann::json> entries_;
};

// The broker's credentials: the file's, then the store's sealed ones (a
// name in both: the file's). Either may be absent (null).
class BrokerCredentials final : public CredentialSource {
 public:
  BrokerCredentials(const Credentials* file, CredentialStore* store) : file_(file), store_(store) {}
  // The store's: FailedPrecondition when the broker's key ring cannot open it.
  Result<std::optional<nlohmann::json>> Fields(const std::string& name) const override;
  const Credentials* file() const { return file_; }
  CredentialStore* store() const { return store_; }

 private:
  const Credentials* file_;
  CredentialStore* store_;
};

// `base` as it would be with `name`'s fields replaced by `fields` (nullopt:
// removed): what a change to a credential is checked against first.
class CredentialChange final : public CredentialSource {
 public:
  CredentialChange(const CredentialSource& base, std::string name, std::optional<nlohmann::json> fields)
      : base_(base), name_(std::move(name)), fields_(std::move(fields)) {}
  Result<std::optional<nlohmann::json>> Fields(const std::string& name) const override;

 private:
  const CredentialSource& base_;
  std::string name_;
  std::optional<nlohmann::json> fields_;
};

// Checks a provider document's adapter references when it is stored: each
// names an adapter registered for its capability; its config holds none of
// the adapter's secret (writeOnly) fields; the secrets it needs come from a
// named credential that has them (when `credentials` is given: the
// broker's); and the config, with them joined, passes the adapter's schema.
// Errors point into the document and never quote a secret.
Status CheckAdapterRefs(const AdapterRegistry& registry, const SchemaSet& schemas, const CredentialSource* credentials,
                        const nlohmann::json& provider_doc);

}  // namespace icb
