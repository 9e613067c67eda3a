#pragma once

#include <string>
#include <vector>

namespace icb {

// Each returns the process exit code.
int ServeCommand(const std::vector<std::string>& args);
int ValidateCommand(const std::vector<std::string>& args);
int RankCommand(const std::vector<std::string>& args);
int CompareCommand(const std::vector<std::string>& args);
int SlaReportCommand(const std::vector<std::string>& args);
int MetricsCommand(const std::vector<std::string>& args);
int MigrateCommand(const std::vector<std::string>& args);

}  // namespace icb
