// UTF-8 checks for text that came from outside (clients, providers) and must
// be echoed back in JSON answers, which are UTF-8 by definition.
#pragma once

#include <string>
#include <string_view>

namespace icb {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// `s` with every ill-formed byte replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

// The number of code points in well-formed UTF-8 (what JSON Schema's
// minLength and maxLength count).
size_t Utf8Length(std::string_view s);

}  // namespace icb
