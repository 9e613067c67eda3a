// Request targets (path and query, percent escapes) and the times and months
// that query parameters carry.
#include <cstdint>
#include <string>
#include <string_view>

#include "broker/api/http.h"
#include "broker/core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  icb::HttpRequest r;
  (void)icb::ParseRequestTarget(text, r);
  std::string why;
  (void)icb::ParseRfc3339(text, &why);
  if (size <= 64) (void)icb::MonthWindow(text, "Asia/Seoul");
  return 0;
}
