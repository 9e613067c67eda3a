// What the storage adapters read the same way from any REST store's answer.
#pragma once

#include <string>
#include <string_view>

#include "broker/ports/object_store.h"
#include "broker/core/http_client.h"

namespace icb {

std::string Unquote(std::string s);  // "\"etag\"" -> "etag"
// A HEAD answer's size and ETag; an absent or malformed size is Unavailable
// (what a provider sends is checked like what a client sends).
Result<ObjectInfo> ObjectInfoFromHead(std::string_view key, const HttpClientResponse& head);

// An object size as a provider writes it: decimal digits that fit in 64 bits.
Result<uint64_t> ParseObjectSize(std::string_view text, std::string_view what);

// One page of a ListObjectsV2 answer (S3) and of a List Blobs answer (Azure).
Result<ObjectPage> ParseS3ListPage(std::string_view xml);
Result<ObjectPage> ParseAzureListPage(std::string_view xml);

}  // namespace icb
