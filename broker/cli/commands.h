// The subcommands. Each Define* function is one subcommand's flag table: it
// adds the flags to `sub`, bound to the command's own settings, with their
// meanings and defaults, and returns what runs the command once they parsed
// (its exit code). The table is the one place a flag is named: `--help`, the
// near-miss suggestions and docs/cli.md's reference all come from it.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace icb {

using CommandRun = std::function<int()>;

CommandRun DefineServe(CLI::App& sub);
CommandRun DefineValidate(CLI::App& sub);
CommandRun DefineRank(CLI::App& sub);
CommandRun DefineCompare(CLI::App& sub);
CommandRun DefineSlaReport(CLI::App& sub);
CommandRun DefineMetrics(CLI::App& sub);
CommandRun DefineMigrate(CLI::App& sub);
CommandRun DefineDrill(CLI::App& sub);
CommandRun DefineKeys(CLI::App& sub);

}  // namespace icb
