#include "broker/core/owner_only_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace icb {

Result<std::string> ReadOwnerOnlyFile(const std::string& path, std::string_view what, size_t max_bytes) {
  const std::string named = std::string(what) + " " + path;
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return NotFound(named + " cannot be read");
  if (!S_ISREG(st.st_mode)) return InvalidArgument(named + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return InvalidArgument(named + " has mode " + mode + "; it holds secrets: chmod 600 " + path);
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) return InvalidArgument(named + " is larger than " + std::to_string(max_bytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Unavailable(named + " cannot be read");
  return text.str();
}

}  // namespace icb
