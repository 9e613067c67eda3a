#include "broker/api/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

namespace icb {

bool AcceptsGzip(std::string_view header) {
  std::string v(header);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t at = 0;
  while (at < v.size()) {
    size_t end = v.find(',', at);
    std::string item = v.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? v.size() : end + 1;
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    std::string coding = item.substr(0, item.find(';'));
    if (coding != "gzip" && coding != "*") continue;
    size_t q = item.find(";q=");
    if (q != std::string::npos && std::strtod(item.c_str() + q + 3, nullptr) <= 0) return false;
    return true;
  }
  return false;
}

namespace {

// One deflate state per thread, reset between answers: setting one up costs
// ten times the compression of a 20 KB answer (its 256 KiB of tables).
struct Deflater {
  z_stream z{};
  bool ready = false;
  Deflater() {
    // 15 window bits + 16: a gzip header and trailer rather than zlib's.
    ready = deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ready) deflateEnd(&z);
  }
};

}  // namespace

std::optional<std::string> Gzip(std::string_view data) {
  thread_local Deflater deflater;
  if (!deflater.ready || deflateReset(&deflater.z) != Z_OK) return std::nullopt;
  z_stream& z = deflater.z;
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t written = out.size() - z.avail_out;
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace icb
