// gzip for HTTP answers (Content-Encoding: gzip), when the client accepts it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace icb {

// Whether an Accept-Encoding header value accepts gzip (and not with q=0).
bool AcceptsGzip(std::string_view accept_encoding);

// The gzip member of `data` at the fastest level (answers are compressed per
// request: speed matters more than the last few percent); nullopt on failure.
std::optional<std::string> Gzip(std::string_view data);

}  // namespace icb
