// The README cannot drift from the product: every curl example in it runs
// against the demo broker (the one scripts/run-demo starts), and what the
// README shows of the answer is found in the answer: a JSON block after the
// example (trimmed in the README: each documented key and array element
// must be there, equal), or a `# STATUS {...}` comment (the status and every
// JSON pointer it names), or the file the example writes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;

struct Example {
  std::string command;     // the shell lines, comments removed
  std::string comment;     // its `# ...` lines: the documented answer, if any
  std::string documented;  // a ```json block that follows it, if any
  int line = 0;            // where it starts in the README
};

// Every ```sh block that runs curl, with what the README says it answers.
std::vector<Example> CurlExamples(const std::string& readme) {
  std::vector<Example> out;
  std::istringstream in(readme);
  std::string line, fence;
  Example current;
  std::string json_block;
  int n = 0;
  bool after_example = false;  // prose since the last example: a json block still belongs to it
  while (std::getline(in, line)) {
    ++n;
    if (fence.empty() && line.rfind("```", 0) == 0) {
      fence = line.substr(3);
      if (fence == "sh") current = Example{"", "", "", n + 1};
      continue;
    }
    if (!fence.empty() && line == "```") {
      if (fence == "sh" && current.command.find("curl ") != std::string::npos) {
        out.push_back(current);
        after_example = true;
      } else if (fence == "json" && after_example && !out.empty()) {
        out.back().documented = json_block;
        after_example = false;
      } else {
        after_example = false;
      }
      fence.clear();
      json_block.clear();
      continue;
    }
    if (fence == "sh") {
      if (line.rfind("#", 0) == 0) current.comment += line.substr(1) + "\n";
      else current.command += line + "\n";
    } else if (fence == "json") {
      json_block += line + "\n";
    } else if (line.rfind("#", 0) == 0) {
      after_example = false;  // a new section
    }
  }
  return out;
}

// Whether what the README shows (`doc`) is in the answer (`actual`):
// objects key by key (volatile keys skipped), each array element matching
// some element of the answer's, scalars equal (numbers to 1e-6).
bool Shown(const json& doc, const json& actual, const std::string& at, std::string& why) {
  static const std::set<std::string> kVolatile = {"at", "catalog_version"};
  if (doc.is_object()) {
    if (!actual.is_object()) return why = at + ": not an object", false;
    for (const auto& [k, v] : doc.items()) {
      if (kVolatile.count(k)) continue;
      if (!actual.contains(k)) return why = at + "/" + k + ": missing", false;
      if (!Shown(v, actual[k], at + "/" + k, why)) return false;
    }
    return true;
  }
  if (doc.is_array()) {
    if (!actual.is_array()) return why = at + ": not an array", false;
    for (size_t i = 0; i < doc.size(); ++i) {
      bool found = false;
      std::string ignored;
      for (const auto& a : actual) found = found || Shown(doc[i], a, at, ignored);
      if (!found) return why = at + "/" + std::to_string(i) + ": " + doc[i].dump() + " not in " + actual.dump().substr(0, 300), false;
    }
    return true;
  }
  if (doc.is_number() && actual.is_number()) {
    if (std::fabs(doc.get<double>() - actual.get<double>()) <= 1e-6) return true;
    return why = at + ": " + doc.dump() + " != " + actual.dump(), false;
  }
  if (doc != actual) return why = at + ": " + doc.dump() + " != " + actual.dump(), false;
  return true;
}

TEST(Readme, EveryCurlExampleAnswersWhatTheReadmeShows) {
  std::ifstream in(std::string(ICB_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto examples = CurlExamples(ss.str());
  ASSERT_GE(examples.size(), 3u) << "the README's examples were not found";

  testing::TempDir dir;
  testing::BrokerProcess broker({"--demo", "--data-dir", dir.path() + "/data"}, dir.path() + "/broker.log");
  ASSERT_TRUE(broker.Start());
  const std::string here = "127.0.0.1:" + std::to_string(broker.port());
  for (const auto& e : examples) {
    SCOPED_TRACE("README.md line " + std::to_string(e.line) + ":\n" + e.command);
    std::string command = std::regex_replace(e.command, std::regex("localhost:8080"), here);
    auto [rc, output] = testing::RunShell("cd " + dir.path() + " && " + command);
    ASSERT_EQ(rc, 0) << output;
    if (!e.documented.empty()) {
      auto doc = json::parse(e.documented, nullptr, false);
      ASSERT_FALSE(doc.is_discarded()) << "the README's JSON does not parse";
      auto actual = json::parse(output, nullptr, false);
      ASSERT_FALSE(actual.is_discarded()) << output;
      std::string why;
      EXPECT_TRUE(Shown(doc, actual, "", why)) << why;
    }
    std::smatch status;
    if (std::regex_search(e.comment, status, std::regex("^ ?([1-5][0-9][0-9]) \\{"))) {
      auto actual = json::parse(output, nullptr, false);
      ASSERT_FALSE(actual.is_discarded()) << output;
      EXPECT_EQ(actual.value("status", 0), std::stoi(status[1])) << output;
      const std::regex pointer("\"pointer\":\"([^\"]*)\"");
      for (auto it = std::sregex_iterator(e.comment.begin(), e.comment.end(), pointer); it != std::sregex_iterator(); ++it)
        EXPECT_NE(output.find("\"pointer\":\"" + (*it)[1].str() + "\""), std::string::npos) << (*it)[1] << " not in " << output;
    }
    std::smatch written;
    if (std::regex_search(command, written, std::regex(" -o ([A-Za-z0-9_.-]+)"))) {
      const auto file = std::filesystem::path(dir.path()) / written[1].str();
      ASSERT_TRUE(std::filesystem::exists(file));
      EXPECT_GT(std::filesystem::file_size(file), 1000u);
    }
    EXPECT_TRUE(!e.documented.empty() || !e.comment.empty() || command.find(" -o ") != std::string::npos)
        << "an example whose answer the README does not show is not checked";
  }
}

}  // namespace
}  // namespace icb
