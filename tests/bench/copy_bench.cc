// Copy benchmark over the lab (deploy/lab/lab up DIR): S3 (s3rver) to Azure
// Blob (Azurite) through the adapters. scripts/bench-copy runs it beside
// rclone between the same two servers.
//   copy_bench seed LAB_JSON [BUCKET]
//                               put 1 GiB in objects of 1 to 64 MiB under data/ in s3 bucket BUCKET (bench-src)
//   copy_bench copy LAB_JSON    copy bench-src to azure container bench-adapter; prints seconds and MiB/s
//   copy_bench container LAB_JSON NAME   create an azure container (for rclone's SAS URL)
#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "broker/ports/copy.h"
#include "broker/ports/registry.h"
#include "broker/api/http.h"

using namespace icb;
using nlohmann::json;

namespace {

// Bytes generated on the fly, so seeding needs no 64 MiB buffers.
class PatternSource final : public ByteSource {
 public:
  explicit PatternSource(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  Result<size_t> Read(char* buffer, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      buffer[i] = static_cast<char>(state_);
    }
    return n;
  }

 private:
  uint64_t state_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: copy_bench seed|copy LAB_JSON | copy_bench container LAB_JSON NAME\n");
    return 2;
  }
  std::string mode = argv[1];
  std::ifstream in(argv[2]);
  json lab = json::parse(in);
  auto schemas = *SchemaSet::LoadEmbedded();
  AdapterRegistry registry(*schemas);
  RegisterBuiltinAdapters(registry);
  auto http = NewCpprestHttpClient();
  SystemClock clock;
  AdapterContext ctx{*http, clock, RealSleeper(), nullptr};
  json s3 = lab["s3"];
  const std::string bucket = mode == "seed" && argc == 4 ? argv[3] : "bench-src";
  auto src = registry.Create<ObjectStore>("s3", {{"endpoint", s3["endpoint"]}, {"bucket", bucket}, {"access_key", s3["access_key"]},
                                                 {"secret_key", s3["secret_key"]}, {"timeout_s", 300}}, ctx);
  json az = lab["azure_blob"];
  auto dst = registry.Create<ObjectStore>("azure_blob", {{"endpoint", az["endpoint"]}, {"account", az["account"]}, {"key", az["key"]},
                                                         {"container", mode == "container" ? argv[3] : "bench-adapter"}, {"timeout_s", 300}}, ctx);
  if (!src.ok() || !dst.ok()) {
    std::fprintf(stderr, "copy_bench: %s %s\n", src.status().ToString().c_str(), dst.status().ToString().c_str());
    return 1;
  }
  if (mode == "container") {
    Status st = (*dst)->EnsureContainer();
    if (!st.ok()) std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }
  if (mode == "seed") {
    if (Status st = (*src)->EnsureContainer(); !st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
    // 8 each of 64, 32, 16, 8, 4 and 2 MiB, and 16 of 1 MiB: 1,024 MiB in 64 objects.
    int n = 0;
    for (int mib : {64, 32, 16, 8, 4, 2, 1}) {
      for (int i = 0; i < (mib == 1 ? 16 : 8); ++i, ++n) {
        PatternSource source(static_cast<uint64_t>(n));
        char key[64];
        std::snprintf(key, sizeof key, "data/%02d-%dMiB.bin", n, mib);
        if (Status st = (*src)->Put(key, source, static_cast<uint64_t>(mib) << 20); !st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
      }
    }
    std::printf("seeded %d objects, 1024 MiB\n", n);
    return 0;
  }
  if (Status st = (*dst)->EnsureContainer(); !st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
  auto t0 = std::chrono::steady_clock::now();
  auto r = CopyPrefix(**src, "data/", **dst, 4);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) return std::fprintf(stderr, "copy_bench: %s\n", r.status().ToString().c_str()), 1;
  std::printf("%zu %llu %.3f %.1f\n", r->objects, static_cast<unsigned long long>(r->bytes), secs, static_cast<double>(r->bytes) / (1 << 20) / secs);
  return 0;
}
