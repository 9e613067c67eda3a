#include "broker/orchestrator/state/workload_cache.h"

#include <nlohmann/json.hpp>

#include "broker/schema/validator.h"
#include "broker/orchestrator/state/workloads.h"

namespace icb {

Result<std::shared_ptr<const WorkloadSet>> WorkloadCache::Read() {
  std::lock_guard lock(mu_);
  // The counter before the documents: a write between the two reads leaves
  // a newer set under an older version, which the next read replaces; never
  // the other way round (a document and its counter are written together).
  ICB_ASSIGN_OR_RETURN(long long version, catalog_.Version(Collection::kWorkloads));
  if (current_ && current_->version == version) return current_;
  ICB_ASSIGN_OR_RETURN(auto texts, catalog_.List(Collection::kWorkloads));
  auto set = std::make_shared<WorkloadSet>();
  set->version = version;
  set->all.reserve(texts.size());
  std::unordered_map<std::string, CachedWorkload> by_text;
  by_text.reserve(texts.size());
  for (auto& text : texts) {
    CachedWorkload entry;
    if (auto seen = by_text_.find(text); seen != by_text_.end()) {
      entry = std::move(seen->second);
    } else {
      auto doc = ParseJson(text);
      if (!doc.ok()) continue;
      auto w = WorkloadFromJson(*doc);
      if (!w.ok()) continue;
      entry = {std::make_shared<const Workload>(std::move(*w)), SpecDigest(*doc)};
    }
    set->all.push_back(entry);
    by_text.emplace(std::move(text), std::move(entry));
  }
  by_text_ = std::move(by_text);
  current_ = std::move(set);
  return current_;
}

}  // namespace icb
