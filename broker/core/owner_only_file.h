// Files that hold secrets (the --credentials file, the --secrets-key ring,
// a --token-file): read only when a regular file no one but its owner may
// read or write (mode 0600 or stricter) and at most `max_bytes`. Errors name
// the file and what to do, never its content.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "broker/core/status.h"

namespace icb {

// `what` names the file in errors ("credentials file", "--token-file").
Result<std::string> ReadOwnerOnlyFile(const std::string& path, std::string_view what, size_t max_bytes);

}  // namespace icb
