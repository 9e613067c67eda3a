// What the subcommands' flag tables share: the check of each kind of value
// (CLI11 validators with messages that say what is wanted) and the reporting
// of a refusal.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "broker/core/status.h"

namespace icb {

// A whole number above zero (limits, counts).
CLI::Validator PositiveInteger();
// HOST:PORT with a port from 0 to 65535 (0: any free port).
CLI::Validator ListenAddress();
// An RFC 3339 time ("2026-11-30T00:00:00Z").
CLI::Validator Rfc3339Time();
// An identifier as documents spell one (a vantage, a tenant): 1-64 of a-z, 0-9, '.', '_', '-'.
CLI::Validator IdName();
// A file that exists (CLI11's ExistingFile without its ":FILE" suffix on the
// flag's type name, which the flag names itself).
CLI::Validator ExistingFile();

// An API key from a file of its own (mode 0600 or stricter, like
// --credentials): the text without its trailing newline. The key's text is
// never in an error.
Result<std::string> ReadTokenFile(const std::string& path);

// A file's whole text (a document a flag names); NotFound when it cannot
// be read.
Result<std::string> ReadFile(const std::string& path);
// Prints "icbroker COMMAND: message" and each error with its pointer to stderr.
void PrintStatus(const std::string& prefix, const Status& s);

}  // namespace icb
