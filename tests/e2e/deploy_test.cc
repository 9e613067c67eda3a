// What deploy/ ships, checked as the tools that run it would: the systemd
// unit verifies (systemd-analyze verify, its ExecStart pointed at the
// built binary), keeps the exposure systemd-analyze security reports low,
// restarts on failure with enough descriptors, and its ExecStart's flags
// are the binary's own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SystemdUnit, VerifiesIsHardenedAndNamesTheBinarysFlags) {
  const std::string unit = ReadFile(std::string(ICB_SOURCE_DIR) + "/deploy/systemd/icbroker.service");
  ASSERT_FALSE(unit.empty());
  for (const char* setting : {"Restart=on-failure", "LimitNOFILE=65536", "NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes",
                              "StateDirectory=icbroker", "KillSignal=SIGTERM"})
    EXPECT_NE(unit.find(std::string("\n") + setting + "\n"), std::string::npos) << setting;

  testing::TempDir dir;
  std::string here = unit;
  const std::string installed = "/usr/local/bin/icbroker";
  ASSERT_NE(here.find(installed), std::string::npos);
  here.replace(here.find(installed), installed.size(), ICBROKER_BIN);
  const std::string path = dir.path() + "/icbroker.service";
  std::ofstream(path) << here;
  auto [verify_rc, verify_out] = testing::RunShell("systemd-analyze verify " + path + " 2>&1");
  EXPECT_EQ(verify_rc, 0) << verify_out;
  EXPECT_EQ(verify_out, "") << verify_out;

  auto [security_rc, security_out] = testing::RunShell("systemd-analyze security --offline=yes " + path + " 2>&1");
  std::smatch level;
  ASSERT_TRUE(std::regex_search(security_out, level, std::regex(R"(Overall exposure level for icbroker\.service: ([0-9.]+))"))) << security_out;
  EXPECT_LE(std::stod(level[1]), 2.0) << security_out;

  // The flags ExecStart passes are ones `serve` has.
  std::smatch exec;
  ASSERT_TRUE(std::regex_search(unit, exec, std::regex(R"(\nExecStart=([^\n]+))")));
  auto [help_rc, help] = testing::RunShell(std::string(ICBROKER_BIN) + " serve --help 2>&1");
  ASSERT_EQ(help_rc, 0) << help;
  const std::string line = exec[1];
  int flags = 0;
  const std::regex flag(R"((--[a-z-]+))");
  for (std::sregex_iterator f(line.begin(), line.end(), flag), end; f != end; ++f, ++flags)
    EXPECT_NE(help.find("  " + (*f)[1].str() + " "), std::string::npos) << (*f)[1];
  EXPECT_GE(flags, 2);
}

}  // namespace
}  // namespace icb
