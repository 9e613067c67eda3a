// Pages of a list by cursor: the client passes back the `next` a page
// answered as `after`, and gets the items whose ids sort after it. A cursor
// is an id, not an offset, so a write between two pages neither repeats nor
// skips an item that was there all along.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace icb {

// The most items one page lists, and how many when the client does not say.
inline constexpr size_t kMaxPageItems = 1000;

struct IdPage {
  std::vector<std::string> ids;     // ascending
  std::optional<std::string> next;  // the cursor of the following page; nullopt at the end
};

// Of `ids` (any order, distinct), those after `after` ("": from the first),
// at most `limit`, ascending. Sorts only what it has to: the page's ids are
// picked out before they are ordered.
inline IdPage PageIds(std::vector<std::string> ids, std::string_view after, size_t limit) {
  IdPage page;
  if (!after.empty()) std::erase_if(ids, [&](const std::string& id) { return id <= after; });
  const bool more = ids.size() > limit;
  if (more) std::nth_element(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(limit), ids.end());
  ids.resize(std::min(ids.size(), limit));
  std::sort(ids.begin(), ids.end());
  if (more && !ids.empty()) page.next = ids.back();
  page.ids = std::move(ids);
  return page;
}

// A page of ids read in order after the cursor, `limit` + 1 of them at
// most (a sorted index's range): the one beyond the limit is not shown, it
// only says that another page follows.
inline IdPage PageOfOneMore(std::vector<std::string> ids, size_t limit) {
  IdPage page;
  if (ids.size() > limit) {
    ids.resize(limit);
    if (!ids.empty()) page.next = ids.back();
  }
  page.ids = std::move(ids);
  return page;
}

}  // namespace icb
