// S3-compatible object storage (path-style requests, SigV4 headers): list
// (ListObjectsV2, paginated), head, ranged streaming get, put (multipart above
// the threshold, aborted on failure), delete. Config: schemas/adapter_s3.json.
#pragma once

#include <memory>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

struct S3Config {
  std::string endpoint;  // http(s)://host[:port], no trailing slash
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  uint64_t multipart_threshold = 16ull << 20;  // larger objects go up in parts
  uint64_t part_size = 8ull << 20;             // also the ranged-get chunk
  RetryPolicy retry;
};

Result<S3Config> S3ConfigFromJson(const nlohmann::json& config);
std::unique_ptr<ObjectStore> NewS3ObjectStore(S3Config config, AdapterContext& ctx);

}  // namespace icb
