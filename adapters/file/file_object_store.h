// Object storage in a local folder (issue 13's `file` adapter): keys are
// paths under the folder, so data can move to and from disk with the same
// copy and verification as between clouds. Config: schemas/adapter_file.json.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "broker/ports/registry.h"

namespace icb {

struct FileStoreConfig {
  std::string path;              // the folder; created by EnsureContainer
  size_t chunk_bytes = 1 << 20;  // how much a Get delivers at a time
};

Result<FileStoreConfig> FileStoreConfigFromJson(const nlohmann::json& config);
// PermissionDenied unless `path` is absolute and, with its symbolic links
// resolved, is one of `roots` (canonical folders) or lies under one.
Status CheckUnderFileRoots(const std::string& path, const std::vector<std::string>& roots);
std::unique_ptr<ObjectStore> NewFileObjectStore(FileStoreConfig config);

// InvalidArgument unless `key` names a file under the folder: relative, no
// empty, "." or ".." segment, no NUL, segments of at most 255 bytes, no
// trailing slash. Keys never reach outside the folder.
Status CheckFileKey(std::string_view key);

}  // namespace icb
