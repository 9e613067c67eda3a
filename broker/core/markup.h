// Escaping text for XML and HTML (request bodies to storage APIs, reports).
#pragma once

#include <string>
#include <string_view>

namespace icb {

// & < > " ' as entities valid in both XML and HTML.
std::string EscapeMarkup(std::string_view s);

}  // namespace icb
