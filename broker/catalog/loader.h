// Loads a catalog folder: providers/<id>.json, slas/<provider>/<version>.json,
// profiles/<id>.json. Used for the demo catalog (embedded in the binary) and
// by the offline CLI over a directory.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "broker/catalog/catalog.h"

namespace icb {

using CatalogFile = std::pair<std::string, std::string>;  // relative path, content

struct LoadReport {
  int providers = 0, slas = 0, profiles = 0, skipped = 0;
};

enum class LoadMode {
  kKeepExisting,  // existing providers/profiles/SLA versions are left as they are (demo seeding)
  kStrict,        // any error, including a duplicate, fails
};

// Every file is validated before anything is written, so a bad file leaves
// the catalog as it was. Errors name the file.
Result<LoadReport> LoadCatalogFiles(Catalog& catalog, const std::vector<CatalogFile>& files, LoadMode mode);

Result<std::vector<CatalogFile>> ReadCatalogDir(const std::string& dir);
std::vector<CatalogFile> DemoCatalogFiles();

}  // namespace icb
