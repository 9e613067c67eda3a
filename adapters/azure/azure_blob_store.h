// Azure Blob storage (SharedKey authentication): list (paginated), head,
// ranged streaming get, put (staged blocks and a block list above the
// threshold), delete. Works against Azure and the Azurite emulator (path-style
// URLs: endpoint/account/container/blob). Config: schemas/adapter_azure_blob.json.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

struct AzureBlobConfig {
  std::string endpoint;  // http(s)://host[:port][/account] for path style
  std::string account;
  std::string key_base64;  // the account key as Azure shows it
  std::string container;
  bool path_style = true;  // emulator: account in the path
  uint64_t block_threshold = 16ull << 20;
  uint64_t block_size = 8ull << 20;
  RetryPolicy retry;
};

Result<AzureBlobConfig> AzureBlobConfigFromJson(const nlohmann::json& config);
std::unique_ptr<ObjectStore> NewAzureBlobStore(AzureBlobConfig config, AdapterContext& ctx);

// SharedKey pieces, exposed for tests.
struct SharedKeyRequest {
  std::string method;
  std::map<std::string, std::string> headers;  // standard headers by their usual names, and x-ms-* (lower case)
  std::string encoded_path;                    // as sent, e.g. /devstoreaccount1/c/a%20b
  std::map<std::string, std::string> query;    // decoded
};
std::string SharedKeyStringToSign(const SharedKeyRequest& r, const std::string& account);
// "SharedKey account:signature"; empty when the key is not valid base64.
std::string SharedKeyAuthorization(const SharedKeyRequest& r, const std::string& account, const std::string& key_base64);

}  // namespace icb
