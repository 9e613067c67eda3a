// Request targets (path and query, percent escapes), the paging parameters
// of the list routes, and the times and months that query parameters carry.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "broker/api/http.h"
#include "broker/api/json_body.h"
#include "broker/core/paging.h"
#include "broker/core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  icb::HttpRequest r;
  if (icb::ParseRequestTarget(text, r).ok()) {
    std::vector<icb::FieldError> errors;
    const icb::ListQuery q = icb::ParseListQuery(r, errors);
    if (q.limit < 1 || q.limit > icb::kMaxPageItems || q.after.size() > icb::kMaxCursorBytes) std::abort();
    // A page of a small id set from that cursor: ascending, after it, bounded.
    const icb::IdPage page = icb::PageIds({"a", "b", "c", "d", "e"}, q.after, q.limit);
    if (page.ids.size() > q.limit) std::abort();
    for (size_t i = 0; i < page.ids.size(); ++i) {
      if (page.ids[i] <= q.after || (i > 0 && page.ids[i] <= page.ids[i - 1])) std::abort();
    }
    if (page.next && *page.next != page.ids.back()) std::abort();
  }
  std::string why;
  (void)icb::ParseRfc3339(text, &why);
  if (size <= 64) (void)icb::MonthWindow(text, "Asia/Seoul");
  return 0;
}
