// icbroker: the inter-cloud broker. The commands and their flags are in
// command_line.cc and commands.h; see docs/cli.md.
#include <malloc.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <thread>

#include "broker/cli/command_line.h"
#include "broker/core/http_client.h"

int main(int argc, char** argv) {
  // OpenSSL cleans up at exit by default, and cpprestsdk's thread pool, torn
  // down by exit handlers after it, still frees TLS state: a command that
  // ends on a refused certificate hung at exit on a lock OpenSSL had
  // cleaned away (seen in the TLS e2e test). The process's end frees it all.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  // Every request allocates and frees answer buffers of tens of KiB on one of
  // the HTTP threads' malloc arenas. With glibc's default trim threshold the
  // arenas hand that memory back to the kernel after each request and fault it
  // in again on the next (measured: ~35 % of the server's CPU in page faults
  // and TLB flushes under load). Keep it: the broker's heap is small anyway.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // The outbound HTTP client's socket threads: one per core, at least four
  // (TLS to a provider's storage is the most they do), not cpprestsdk's 40.
  icb::SetHttpClientIoThreads(std::max(4u, std::thread::hardware_concurrency()));
  icb::CommandLine command_line;
  return command_line.Run(argc, argv);
}
