#include "broker/orchestrator/state/workload_cache.h"

#include <nlohmann/json.hpp>

#include "broker/core/crypto.h"
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
  // Entries of unchanged texts stay where they are: a read while thousands
  // of workloads are placed allocates only for the new documents, so what
  // lives long is not scattered among what a pass throws away.
  ++generation_;
  for (auto& text : texts) {
    std::string key = Sha256(text);
    auto it = by_text_.find(key);
    if (it == by_text_.end()) {
      auto doc = ParseJson(text);
      if (!doc.ok()) continue;
      auto w = WorkloadFromJson(*doc);
      if (!w.ok()) continue;
      CachedWorkload entry{std::make_shared<const Workload>(std::move(*w)), SpecDigest(*doc)};
      it = by_text_.emplace(std::move(key), Known{std::move(entry), 0}).first;
    }
    it->second.seen = generation_;
    set->all.push_back(it->second.entry);
  }
  std::erase_if(by_text_, [this](const auto& known) { return known.second.seen != generation_; });
  current_ = std::move(set);
  return current_;
}

}  // namespace icb
