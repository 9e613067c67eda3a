// The command line's flag tables: help and --version exit 0, every flag is
// listed with its default, a near-miss gets a suggestion, a usage error
// exits 2 without running anything, and docs/cli.md's reference is the
// table's (set ICB_UPDATE_DOCS=1 to rewrite it from the table).
#include "broker/cli/command_line.h"

#include "broker/app/broker_app.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace icb {
namespace {

struct Outcome {
  int code;
  std::string out, err;
};

Outcome RunCli(std::vector<std::string> words) {
  words.insert(words.begin(), "icbroker");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  CommandLine command_line;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = command_line.Run(static_cast<int>(argv.size()), argv.data());
  std::string out = ::testing::internal::GetCapturedStdout();
  return {code, out, ::testing::internal::GetCapturedStderr()};
}

const CLI::App& Subcommand(const CommandLine& c, const std::string& name) {
  for (const CLI::App* sub : c.app().get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); }))
    if (sub->get_name() == name) return *sub;
  throw std::runtime_error("no subcommand " + name);
}

TEST(CommandLine, HelpAndVersionExitZeroOnStdout) {
  Outcome top = RunCli({"--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* sub : {"serve", "validate", "rank", "compare", "sla-report", "metrics", "migrate", "keys"}) {
    EXPECT_NE(top.out.find(std::string("\n  ") + sub + " "), std::string::npos) << sub << "\n" << top.out;
    Outcome help = RunCli({sub, "--help"});
    EXPECT_EQ(help.code, 0) << sub << help.err;
    EXPECT_NE(help.out.find(std::string("icbroker ") + sub), std::string::npos) << help.out;
  }
  Outcome version = RunCli({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out, std::string("icbroker ") + ICB_VERSION + "\n");
}

TEST(CommandLine, ServeHelpListsEveryFlagWithItsDefault) {
  CommandLine c;
  const CLI::App& serve = Subcommand(c, "serve");
  Outcome help = RunCli({"serve", "--help"});
  std::vector<std::string> expected = {"--listen",         "--threads",           "--data-dir",         "--redis",          "--redis-replica-acks", "--redis-wait-s", "--appendfsync",
                                       "--auth",           "--log-format", "--demo",           "--catalog",           "--credentials", "--secrets-key", "--allow-networks", "--deny-networks", "--file-roots", "--tls-cert",       "--tls-key",        "--tls-client-ca",    "--probe",          "--probe-ca",       "--vantage", "--audience-vantages",
                                       "--broker-id",      "--operation-workers", "--operations-per-tenant", "--provider-calls", "--probe-connections-per-origin", "--readiness-interval-s", "--events-retention-days", "--samples-raw-days", "--samples-rollup-days", "--rank-reuse-ms", "--max-connections",   "--max-header-bytes", "--max-request-line", "--header-timeout-ms",
                                       "--idle-timeout-ms", "--body-timeout-ms", "--json-max-depth",   "--json-max-string", "--json-max-items",
                                       "--json-max-members", "--rate-per-key", "--rate-burst"};
  EXPECT_EQ(CommandFlags(serve).size(), expected.size());
  for (const auto& flag : expected) EXPECT_NE(help.out.find("  " + flag + " "), std::string::npos) << flag << "\n" << help.out;
  // Defaults are the broker's own, not copies.
  BrokerOptions defaults;
  EXPECT_NE(help.out.find("--threads N=" + std::to_string(defaults.http_threads)), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--operation-workers N=" + std::to_string(defaults.operation_workers)), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--max-connections N=" + std::to_string(defaults.http.max_connections)), std::string::npos);
  EXPECT_NE(help.out.find("--idle-timeout-ms N=" + std::to_string(defaults.http.idle_timeout.count())), std::string::npos);
  EXPECT_NE(help.out.find("--json-max-depth N=" + std::to_string(defaults.api.json.max_depth)), std::string::npos);
  EXPECT_NE(help.out.find("--data-dir DIR=" + defaults.data_dir), std::string::npos);
  EXPECT_TRUE(defaults.require_keys);
  EXPECT_NE(help.out.find("--auth MODE:{keys,off}=keys"), std::string::npos) << help.out;
}

TEST(CommandLine, ABrokerWithoutKeysListensOnLoopbackOnly) {
  for (const char* host : {"127.0.0.1", "127.10.0.2", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"}) EXPECT_TRUE(IsLoopbackHost(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "169.254.169.254", "128.0.0.1", "::ffff:10.0.0.1", "example.com", "", "localhost.",
                           "127.0.0.1.nip.io"})
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  // Refused before anything starts: no store, no port.
  Outcome open = RunCli({"serve", "--auth", "off", "--listen", "0.0.0.0:0", "--data-dir", "/nonexistent/icbroker"});
  EXPECT_EQ(open.code, 1);
  EXPECT_NE(open.err.find("--auth off"), std::string::npos) << open.err;
}

TEST(CommandLine, NearMissFlagsGetASuggestion) {
  CommandLine c;
  EXPECT_EQ(NearestFlag(Subcommand(c, "serve"), "--listn"), "--listen");
  EXPECT_EQ(NearestFlag(Subcommand(c, "serve"), "--max-conections=5"), "--max-connections");
  EXPECT_EQ(NearestFlag(Subcommand(c, "rank"), "--profileid"), "--profile-id");  // inside an option group
  EXPECT_EQ(NearestFlag(Subcommand(c, "migrate"), "--detatch"), "--detach");
  EXPECT_EQ(NearestFlag(Subcommand(c, "serve"), "--colour"), "");

  Outcome typo = RunCli({"serve", "--listn", "127.0.0.1:0"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("unknown flag --listn (did you mean --listen?)"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("icbroker serve --help"), std::string::npos) << typo.err;
  Outcome command = RunCli({"rnak"});
  EXPECT_EQ(command.code, 2);
  EXPECT_NE(command.err.find("unknown command 'rnak' (did you mean rank?)"), std::string::npos) << command.err;
}

// Each refused before anything runs (serve would start a broker; none of
// these reach it), with exit 2 and the flag named.
TEST(CommandLine, UsageErrorsExitTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> words;
    std::string says;
  };
  for (const Case& k : std::vector<Case>{
           {{"serve", "--listen", "nowhere"}, "--listen"},
           {{"serve", "--listen", "127.0.0.1:70000"}, "--listen"},
           {{"serve", "--max-connections", "0"}, "positive integer"},
           {{"serve", "--json-max-depth", "-3"}, "--json-max-depth"},
           {{"serve", "--appendfsync", "never"}, "--appendfsync"},
           {{"serve", "--threads", "1"}, "--threads"},
           {{"serve", "stray"}, "unexpected argument stray"},
           {{"rank", "--profile-id", "x"}, "--catalog"},
           {{"rank", "--catalog", "d"}, "--profile"},
           {{"rank", "--catalog", "d", "--profile", "f", "--profile-id", "x"}, "--profile"},
           {{"rank", "--catalog", "d", "--profile-id", "x", "--at", "yesterday"}, "RFC 3339"},
           {{"compare", "--catalog", "d", "--profile-id", "x", "--format", "pdf"}, "--format"},
           {{"metrics", "--catalog", "d", "--provider", "p", "--from", "2026-11-01T00:00:00Z"}, "--to"},
           {{"sla-report", "--catalog", "d", "--provider", "p"}, "--month"},
           {{"migrate", "--to", "b"}, "--from"},
           {{"migrate", "--from", "a", "--workload", "w", "--to", "b"}, "--from"},
           {{"validate"}, "FILE"},
       }) {
    Outcome o = RunCli(k.words);
    EXPECT_EQ(o.code, 2) << ::testing::PrintToString(k.words) << "\n" << o.err;
    EXPECT_NE(o.err.find(k.says), std::string::npos) << ::testing::PrintToString(k.words) << "\n" << o.err;
    EXPECT_EQ(o.out, "") << ::testing::PrintToString(k.words);
  }
}

// The option group `o` belongs to (exactly one of its flags required), if any.
const CLI::App* GroupOf(const CLI::App& command, const CLI::Option* o) {
  for (const CLI::App* group : command.get_subcommands([](const CLI::App* a) { return a->get_name().empty(); })) {
    auto flags = CommandFlags(*group);
    if (std::find(flags.begin(), flags.end(), o) != flags.end()) return group;
  }
  return nullptr;
}

// docs/cli.md's reference, written from the table.
std::string Reference(const CommandLine& c) {
  std::ostringstream md;
  for (const CLI::App* sub : c.app().get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); })) {
    md << "\n### " << sub->get_name() << "\n\n" << sub->get_description() << ".\n\n| Flag | Default | Meaning |\n|---|---|---|\n";
    for (const CLI::Option* o : CommandFlags(*sub)) {
      std::string name = o->get_lnames().empty() ? o->get_name() : "--" + o->get_lnames().front();
      std::string type = o->get_type_name();
      if (o->get_type_size() == 0) type.clear();  // a switch
      // The type without the validator's list of values ("MODE:{always,everysec}").
      std::string flag = name + (type.empty() || o->get_lnames().empty() ? "" : " " + type.substr(0, type.find(":{")));
      std::string fallback = o->get_default_str().empty() ? "" : "`" + o->get_default_str() + "`";
      std::string meaning = o->get_description();
      if (o->get_required()) meaning += " (required)";
      if (const CLI::App* group = GroupOf(*sub, o)) {
        std::string names;
        for (const CLI::Option* g : CommandFlags(*group)) names += (names.empty() ? "" : ", ") + g->get_name();
        meaning += " (exactly one of " + names + ")";
      }
      for (size_t at = meaning.find('|'); at != std::string::npos; at = meaning.find('|', at + 2)) meaning.replace(at, 1, "\\|");
      md << "| `" << flag << "` | " << fallback << " | " << meaning << " |\n";
    }
  }
  return md.str();
}

TEST(CommandLine, DocsReferenceIsTheFlagTable) {
  const std::string path = std::string(ICB_SOURCE_DIR) + "/docs/cli.md";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const std::string begin = "<!-- flag reference: generated from the flag tables; tests/unit/cli checks it -->\n", end = "<!-- end of flag reference -->";
  size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos) << path << " has no reference section";
  ASSERT_NE(e, std::string::npos);
  CommandLine c;
  std::string expected = Reference(c);
  std::string actual = doc.substr(b + begin.size(), e - b - begin.size());
  if (actual != expected && std::getenv("ICB_UPDATE_DOCS")) {
    std::ofstream(path) << doc.substr(0, b + begin.size()) << expected << doc.substr(e);
    return;
  }
  EXPECT_EQ(actual, expected) << "docs/cli.md's flag reference differs from the flag tables; rerun with ICB_UPDATE_DOCS=1 to rewrite it";
}

}  // namespace
}  // namespace icb
