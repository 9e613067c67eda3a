#include "broker/cli/command_line.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace icb {

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  CommandRun (*define)(CLI::App&);
};

// Every subcommand, in the order help lists them.
constexpr Subcommand kSubcommands[] = {
    {"serve", "Run the HTTP API and the orchestrator (with an embedded redis-server unless --redis)", DefineServe},
    {"validate", "Check documents against their JSON Schema, each recognised by its content; prints every violation with its pointer",
     DefineValidate},
    {"rank", "Rank providers offline over a catalog folder: the JSON of POST /v1/rank", DefineRank},
    {"compare", "The procurement report of POST /v1/compare, offline (json, md, csv or html)", DefineCompare},
    {"sla-report", "A provider's monthly SLA report (availability, credit, notices) offline from sample and event files", DefineSlaReport},
    {"metrics", "A provider's seven quality criteria over a window, offline from sample and event files", DefineMetrics},
    {"drill", "What the disaster of some providers would do, asked of a running broker or planned offline over a catalog folder and workload files: targets, predicted RTO and RPO, cost; nothing is changed (exit 3 when a workload would miss its objectives)", DefineDrill},
    {"migrate", "Start a verified migration on a running broker and follow it to its end (an admin's API key from --token-file or ICBROKER_TOKEN)", DefineMigrate},
    {"keys", "Create, list or revoke API keys in the store a broker serves (--data-dir or --redis); create prints the key once", DefineKeys},
};

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A usage error: the problem, a suggestion, and where the flags are listed.
int UsageError(const CLI::App& command, const std::string& problem, const std::string& suggestion = "") {
  std::string path = command.get_parent() ? "icbroker " + command.get_name() : "icbroker";
  std::fprintf(stderr, "%s: %s%s\nRun '%s --help' for the flags.\n", path.c_str(), problem.c_str(),
               suggestion.empty() ? "" : (" (did you mean " + suggestion + "?)").c_str(), path.c_str());
  return 2;
}

}  // namespace

std::vector<const CLI::Option*> CommandFlags(const CLI::App& command) {
  std::vector<const CLI::Option*> out;
  auto add = [&](const CLI::App& app) {
    for (const CLI::Option* o : app.get_options())
      if (o->get_name() != "--help" && o->get_name() != "-h,--help" && !o->check_lname("help")) out.push_back(o);
  };
  add(command);
  for (const CLI::App* group : command.get_subcommands([](const CLI::App* a) { return a->get_name().empty(); })) add(*group);
  return out;
}

std::string NearestFlag(const CLI::App& command, const std::string& given) {
  std::string name = given.substr(0, given.find('='));
  std::string best;
  size_t best_distance = 3;
  for (const CLI::Option* o : CommandFlags(command)) {
    for (const std::string& flag : o->get_lnames()) {
      std::string candidate = "--" + flag;
      size_t d = candidate.starts_with(name) && name.size() > 3 ? 1 : EditDistance(name, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
  }
  return best;
}

CommandLine::CommandLine() : app_("icbroker: the inter-cloud broker. It ranks cloud providers against a requirement profile from their SLAs and "
                                  "measured QoS, and moves workloads and data between them (failover, burst, migration).",
                                  "icbroker") {
  app_.set_version_flag("--version", std::string("icbroker ") + ICB_VERSION);
  app_.require_subcommand(1);
  app_.get_formatter()->column_width(36);
  for (const Subcommand& s : kSubcommands) {
    CLI::App* sub = app_.add_subcommand(s.name, s.summary);
    // Unknown flags are kept so that Run can suggest the nearest.
    sub->allow_extras();
    runs_[sub] = s.define(*sub);
  }
  app_.footer("Run 'icbroker COMMAND --help' for a command's flags; docs/cli.md lists them all.");
}

int CommandLine::Run(int argc, const char* const* argv) {
  auto is_command = [](const char* word) {
    return std::any_of(std::begin(kSubcommands), std::end(kSubcommands), [&](const Subcommand& s) { return std::string(word) == s.name; });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::string nearest;
    for (const Subcommand& s : kSubcommands)
      if (EditDistance(argv[1], s.name) <= 2) nearest = s.name;
    return UsageError(app_, std::string("unknown command '") + argv[1] + "'", nearest);
  }
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app_.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::printf("%s\n", app_.version().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    // --help after a subcommand comes here too, as that subcommand's help.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app_.exit(e);
    const CLI::App* failing = &app_;
    for (const CLI::App* sub : app_.get_subcommands()) failing = sub;
    return UsageError(*failing, e.what());
  }
  for (const CLI::App* sub : app_.get_subcommands()) {
    std::vector<std::string> extras = sub->remaining();
    if (!extras.empty()) {
      const std::string& first = extras.front();
      if (first.starts_with("-")) return UsageError(*sub, "unknown flag " + first, NearestFlag(*sub, first));
      return UsageError(*sub, "unexpected argument " + first);
    }
    return runs_.at(sub)();
  }
  return UsageError(app_, "no command given");
}

}  // namespace icb
