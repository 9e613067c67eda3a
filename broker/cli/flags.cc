#include "broker/cli/flags.h"

#include <algorithm>

namespace icb {

Flags ParseFlags(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
                 const std::vector<std::string>& switches) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--")) {
      f.positional.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      f.values.insert_or_assign(name, std::string(1, '1'));  // not = "1": GCC 12's -Wrestrict false positive
    } else if (std::find(with_value.begin(), with_value.end(), name) != with_value.end()) {
      if (!inline_value) {
        if (i + 1 >= args.size()) {
          f.error.append(name).append(" needs a value");
          return f;
        }
        value = args[++i];
      }
      f.values[name] = value;
    } else {
      f.error.append("unknown option ").append(name);
      return f;
    }
  }
  return f;
}

}  // namespace icb
