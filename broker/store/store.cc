#include "broker/store/store.h"

#include <set>

namespace icb {

Status CheckDistinctKeys(const std::vector<CasWrite>& writes) {
  std::set<std::string_view> keys;
  for (const auto& w : writes)
    if (!keys.insert(w.key).second) return InvalidArgument("record " + w.key + " appears twice in one compare-and-set");
  return Status::Ok();
}

}  // namespace icb
