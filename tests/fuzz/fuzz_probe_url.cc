// Probe URLs (broker/qos/asio_probe_runner.h): any input is parsed or
// refused without a crash, and what parses is safe to put on a request
// line and connect to.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "broker/qos/asio_probe_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string url(reinterpret_cast<const char*>(data), size);
  auto u = icb::ParseProbeUrl(url);
  if (!u) return 0;
  if (u->host.empty() || u->port.empty() || u->port.size() > 5 || std::atoi(u->port.c_str()) > 65535) std::abort();
  if (u->target.empty() || u->target.front() != '/') std::abort();
  for (const std::string* part : {&u->host, &u->port, &u->host_header, &u->target})
    for (char c : *part)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
  if (u->host_header.find('@') != std::string::npos) std::abort();
  return 0;
}
