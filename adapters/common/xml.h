// Just enough XML for the storage protocols' answers (S3, Azure Blob): the
// text of an element and the bodies of repeated elements, entities decoded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "broker/core/status.h"

namespace icb {

// The decoded text of the first <tag>...</tag>; empty when absent.
std::string XmlText(std::string_view xml, std::string_view tag);
// The raw inner text of every <tag>...</tag>, in order.
std::vector<std::string> XmlBlocks(std::string_view xml, std::string_view tag);
std::string XmlUnescape(std::string_view s);
std::string XmlEscape(std::string_view s);

// A provider error ("what: HTTP 403: <Error><Code>..</Code><Message>..</Message>...")
// cut to "what: HTTP 403: Code: Message (first line)". Storage errors can echo
// the request (string to sign, key id); nothing but code and message is kept.
Status SummarizeXmlError(const Status& s);

}  // namespace icb
