// RFC 3339 timestamps, the wire format for every time in the API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/core/clock.h"

namespace icb {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)"; 't'/'z' lower case too.
// Fractions beyond milliseconds are truncated.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

// Formats as UTC "YYYY-MM-DDTHH:MM:SSZ", with ".mmm" only when non-zero.
std::string FormatRfc3339(TimePoint t);

}  // namespace icb
