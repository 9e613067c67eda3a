#include "broker/catalog/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/core/embedded.h"

namespace icb {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Parsed {
  enum Kind { kProvider, kSla, kProfile } kind;
  std::string path, owner, id;
  json doc;
};

Status InFile(const std::string& path, const Status& s) {
  return Status(s.code(), path + ": " + s.message(), s.errors());
}

std::string Stem(const std::string& name) { return fs::path(name).stem().string(); }

}  // namespace

Result<LoadReport> LoadCatalogFiles(Catalog& catalog, const std::vector<CatalogFile>& files, LoadMode mode) {
  std::vector<Parsed> docs;
  for (const auto& [path, content] : files) {
    if (!path.ends_with(".json")) continue;
    fs::path p(path);
    auto parts = std::vector<std::string>(p.begin(), p.end());
    Parsed d;
    d.path = path;
    if (parts.size() == 2 && parts[0] == "providers") {
      d.kind = Parsed::kProvider; d.id = Stem(parts[1]);
    } else if (parts.size() == 3 && parts[0] == "slas") {
      d.kind = Parsed::kSla; d.owner = parts[1]; d.id = Stem(parts[2]);
    } else if (parts.size() == 2 && parts[0] == "profiles") {
      d.kind = Parsed::kProfile; d.id = Stem(parts[1]);
    } else {
      continue;  // READMEs and other files
    }
    auto j = ParseJson(content);
    if (!j.ok()) return InFile(path, j.status());
    d.doc = std::move(j).value();
    const char* schema = d.kind == Parsed::kProvider ? "provider.json" : d.kind == Parsed::kSla ? "sla.json" : "profile.json";
    if (Status s = catalog.schemas().Validate(schema, d.doc); !s.ok()) return InFile(path, s);
    docs.push_back(std::move(d));
  }
  // Providers before the SLAs that need them.
  std::stable_sort(docs.begin(), docs.end(), [](const Parsed& a, const Parsed& b) { return a.kind < b.kind; });
  LoadReport report;
  for (const auto& d : docs) {
    if (mode == LoadMode::kKeepExisting) {
      Result<std::string> existing = d.kind == Parsed::kProvider  ? catalog.GetProvider(d.id)
                                     : d.kind == Parsed::kProfile ? catalog.GetProfile(d.id)
                                                                  : catalog.GetSla(d.owner, d.doc.value("version", ""));
      if (existing.ok()) {
        ++report.skipped;
        continue;
      }
    }
    Status s;
    switch (d.kind) {
      case Parsed::kProvider: s = catalog.PutProvider(d.id, d.doc).status(); ++report.providers; break;
      case Parsed::kSla: s = catalog.AppendSla(d.owner, d.doc).status(); ++report.slas; break;
      case Parsed::kProfile: s = catalog.PutProfile(d.id, d.doc).status(); ++report.profiles; break;
    }
    if (!s.ok()) return InFile(d.path, s);
  }
  return report;
}

Result<std::vector<CatalogFile>> ReadCatalogDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("not a directory: " + dir);
  std::vector<CatalogFile> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.emplace_back(fs::relative(it->path(), dir).string(), ss.str());
  }
  if (ec) return Unavailable("cannot read " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<CatalogFile> DemoCatalogFiles() {
  std::vector<CatalogFile> files;
  for (const auto& f : EmbeddedDemoCatalog()) files.emplace_back(std::string(f.path), std::string(f.content));
  return files;
}

}  // namespace icb
