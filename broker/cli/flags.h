// The command line's flags: "--flag value", "--flag=value" and "--switch";
// positional arguments kept in order.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace icb {

struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;
  std::string error;  // the first problem; empty: none
};

Flags ParseFlags(const std::vector<std::string>& args, const std::vector<std::string>& with_value, const std::vector<std::string>& switches);

}  // namespace icb
