// A temporary directory removed at scope exit. Short paths under /tmp, since
// unix socket paths are limited to 107 bytes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace icb::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/icb-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TCP port that was free a moment ago (bound to port 0, then released).
int FreeTcpPort();

}  // namespace icb::testing
