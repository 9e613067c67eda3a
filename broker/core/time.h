// RFC 3339 timestamps, the wire format for every time in the API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/core/clock.h"
#include "broker/core/status.h"

namespace icb {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)"; 't'/'z' lower case too.
// Fractions beyond milliseconds are truncated.
std::optional<TimePoint> ParseRfc3339(std::string_view text);
// The same, saying why `text` is refused in `why` (when not null). Leap
// seconds (second 60) are refused, with that reason, everywhere.
std::optional<TimePoint> ParseRfc3339(std::string_view text, std::string* why);

// Formats as UTC "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" only when non-zero.
std::string FormatRfc3339(TimePoint t);

struct Window {
  TimePoint from, to;  // [from, to)
};

// The calendar month "YYYY-MM" in an IANA time zone ("UTC" or e.g.
// "Asia/Seoul", from the system's tzdata), as UTC instants.
Result<Window> MonthWindow(std::string_view month, std::string_view time_zone);

}  // namespace icb
