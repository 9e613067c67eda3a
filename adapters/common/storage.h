// What the storage adapters read the same way from any REST store's answer.
#pragma once

#include <string>
#include <string_view>

#include "broker/adapters/object_store.h"
#include "broker/core/http_client.h"

namespace icb {

std::string Unquote(std::string s);  // "\"etag\"" -> "etag"
// A HEAD answer's size and ETag.
ObjectInfo ObjectInfoFromHead(std::string_view key, const HttpClientResponse& head);

}  // namespace icb
