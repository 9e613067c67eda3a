// icbroker's command line: the subcommands, each with its flag table
// (commands.h), parsed by CLI11. Help and --version exit 0 and print to
// stdout; a usage error exits 2 with the problem, a suggestion for a
// mistyped flag, and where to read on.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "broker/cli/commands.h"

namespace icb {

class CommandLine {
 public:
  CommandLine();
  // Parses argv and runs the chosen subcommand: its exit code.
  int Run(int argc, const char* const* argv);
  // The table, for docs/cli.md's reference test.
  const CLI::App& app() const { return app_; }

 private:
  CLI::App app_;
  std::map<const CLI::App*, CommandRun> runs_;
};

// Every flag of `command`, its option groups' included, --help left out.
std::vector<const CLI::Option*> CommandFlags(const CLI::App& command);

// The flag of `command` closest to `given` ("--listn" -> "--listen"), or ""
// when none is within two edits (or a prefix of it).
std::string NearestFlag(const CLI::App& command, const std::string& given);

}  // namespace icb
