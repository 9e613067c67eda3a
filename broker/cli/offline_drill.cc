#include "broker/cli/offline_drill.h"

#include <algorithm>
#include <climits>
#include <filesystem>

#include "broker/catalog/loader.h"
#include "broker/cli/flags.h"
#include "broker/core/time.h"
#include "broker/orchestrator/state/workload_cache.h"
#include "broker/orchestrator/state/workloads.h"
#include "broker/qos/service.h"
#include "broker/ranking/policy.h"
#include "broker/schema/json_input.h"
#include "broker/store/store.h"

namespace icb {
namespace {

namespace fs = std::filesystem;

// A provider's compute as the command was told it: its room, nothing
// running. Every call that would change something is refused (the drill's
// read-only wrapper refuses them before they get here).
class StatedRoom final : public ComputeProvider {
 public:
  explicit StatedRoom(int room) : room_(room) {}
  Result<ComputeState> State() override { return ComputeState{room_, room_, 0, {}}; }
  Result<Deployment> Deploy(const std::string&, const std::string&) override { return Refused(); }
  Status Scale(const std::string&, int, const std::string&) override { return Refused(); }
  Result<std::vector<Deployment>> ProbeTargets() override { return std::vector<Deployment>{}; }

 private:
  static Status Refused() { return FailedPrecondition("an offline drill changes nothing"); }
  int room_;
};

class NoDns final : public DnsSwitch {
 public:
  Result<std::optional<DnsRecordSet>> Get(const std::string&, const std::string&) override { return std::optional<DnsRecordSet>(); }
  Status Replace(const DnsRecordSet&) override { return FailedPrecondition("an offline drill changes nothing"); }
  Status Delete(const std::string&, const std::string&) override { return FailedPrecondition("an offline drill changes nothing"); }
};

// Adapters made of what the command was told, for providers whose
// documents name the capability: nothing is connected to.
class StatedAdapters final : public ProviderAdapters {
 public:
  StatedAdapters(Catalog& catalog, std::map<std::string, int> room) : catalog_(catalog), room_(std::move(room)) {}
  Result<std::unique_ptr<ComputeProvider>> Compute(const std::string& provider) override {
    ICB_RETURN_IF_ERROR(Has(provider, "compute"));
    auto it = room_.find(provider);
    // Unbounded, short of what adding up several providers' room overflows.
    return std::unique_ptr<ComputeProvider>(std::make_unique<StatedRoom>(it == room_.end() ? INT_MAX / 1024 : it->second));
  }
  Result<std::unique_ptr<DnsSwitch>> Dns(const std::string& provider) override {
    ICB_RETURN_IF_ERROR(Has(provider, "dns"));
    return std::unique_ptr<DnsSwitch>(std::make_unique<NoDns>());
  }

 private:
  Status Has(const std::string& provider, const char* capability) {
    ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
    const auto* entry = snapshot->FindProvider(provider);
    if (!entry || !entry->provider.adapters.count(capability)) return NotFound("provider " + provider + " has no " + capability + " adapter");
    return Status::Ok();
  }
  Catalog& catalog_;
  std::map<std::string, int> room_;
};

// Probes are never run by a drill.
class NoProbes final : public ProbeRunner {
 public:
  QosSample Run(const ProbeTarget&) override {
    QosSample s;
    s.ok = false;
    s.error = ProbeError::kConnect;  // nothing is connected to
    return s;
  }
};

}  // namespace

Result<std::vector<std::string>> WorkloadFilesIn(const std::string& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) return std::vector<std::string>{dir};
  if (!fs::is_directory(dir, ec)) return NotFound(dir + ": no such folder or file");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  if (ec) return Unavailable(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<Drill> RunOfflineDrill(const OfflineDrillInput& in) {
  std::unique_ptr<Store> store = NewMemoryStore();
  ICB_ASSIGN_OR_RETURN(auto schemas, SchemaSet::LoadEmbedded());
  Catalog catalog(*store, schemas);
  ICB_ASSIGN_OR_RETURN(auto files, ReadCatalogDir(in.catalog_dir));
  ICB_RETURN_IF_ERROR(LoadCatalogFiles(catalog, files, LoadMode::kStrict).status());
  SystemClock clock;
  WorkloadCatalog workloads(catalog, *store, clock);
  for (const auto& path : in.workload_files) {
    ICB_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    auto doc = ParseJson(text);
    if (!doc.ok()) return Status(doc.status().code(), path + ": " + doc.status().message(), doc.status().errors());
    const std::string id = doc->is_object() && doc->contains("id") && (*doc)["id"].is_string() ? (*doc)["id"].get<std::string>()
                                                                                               : fs::path(path).stem().string();
    auto put = workloads.Put(id, *doc);
    if (!put.ok()) return Status(put.status().code(), path + ": " + put.status().message(), put.status().errors());
  }
  PolicyRegistry policies;
  RegisterBuiltinPolicies(policies);
  QosService qos(*store, catalog);
  StatedAdapters adapters(catalog, in.room);
  NoProbes probes;
  WorkloadKindDeps deps{*store, catalog, adapters, probes, policies, &qos, clock};
  WorkloadCache cache(catalog);
  Drills drills(deps, cache, DrillOptions{});
  DrillRequest r;
  r.providers = in.providers;
  r.at = in.at;
  r.every_tenant = true;
  return drills.Predict(r, "offline");
}

}  // namespace icb
