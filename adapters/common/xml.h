// Just enough XML for the storage protocols' answers (S3, Azure Blob): the
// text of an element and the bodies of repeated elements, entities decoded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace icb {

// The decoded text of the first <tag>...</tag>; empty when absent.
std::string XmlText(std::string_view xml, std::string_view tag);
// The raw inner text of every <tag>...</tag>, in order.
std::vector<std::string> XmlBlocks(std::string_view xml, std::string_view tag);
std::string XmlUnescape(std::string_view s);
std::string XmlEscape(std::string_view s);

}  // namespace icb
