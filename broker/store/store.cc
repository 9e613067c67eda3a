#include "broker/store/store.h"

#include <set>

namespace icb {

Status CheckDistinctKeys(const std::vector<CasWrite>& writes) {
  std::set<std::string_view> keys;
  for (const auto& w : writes)
    if (!keys.insert(w.key).second) return InvalidArgument("record " + w.key + " appears twice in one compare-and-set");
  return Status::Ok();
}

Status CheckAppendGroups(const std::vector<AppendGroup>& groups) {
  for (const auto& g : groups)
    if (g.log && !g.listed_in.empty()) return InvalidArgument("log " + g.data_key + " cannot be listed on creation (listed_in)");
  return Status::Ok();
}

}  // namespace icb
