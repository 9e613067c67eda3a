// icbroker: the inter-cloud broker. Wires the commands; see README.md.
#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "broker/cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: icbroker COMMAND [options]\n"
    "\n"
    "  serve [--listen HOST:PORT] [--data-dir DIR] [--redis URL] [--demo]\n"
    "        [--appendfsync always|everysec] [--threads N] [--probe [--vantage NAME]]\n"
    "        Run the HTTP API. Without --redis, starts a private redis-server\n"
    "        in DIR (default ./icbroker-data), AOF on, fsync on every write.\n"
    "        --probe: probe every provider endpoint (HTTP(S) or TCP) and store\n"
    "        the samples, tagged with the vantage NAME (default local).\n"
    "  validate [--schema NAME] FILE...\n"
    "        Check documents against their JSON Schema; prints each violation\n"
    "        with its JSON pointer. The schema comes from --schema or from the\n"
    "        file name's first dot-separated part (provider.x.json -> provider).\n"
    "  rank --catalog DIR (--profile FILE | --profile-id ID) [--policy NAME] [--top-k N] [--at TIME]\n"
    "        Rank offline over a catalog folder (providers/, slas/<id>/, profiles/);\n"
    "        prints the same JSON as POST /v1/rank.\n"
    "  compare --catalog DIR (--profile FILE | --profile-id ID) [--providers ID,...] [--format json|md|csv|html]\n"
    "          [--out FILE] [--at TIME] [--samples FILE,...] [--events PROVIDER=FILE,...]\n"
    "        the procurement report of POST /v1/compare; html is one file that opens offline.\n"
    "  sla-report --catalog DIR --provider ID --month YYYY-MM [--samples FILE,...]\n"
    "        [--events FILE,...] [--billed A,B,C]\n"
    "  metrics --catalog DIR --provider ID (--month YYYY-MM | --from T --to T)\n"
    "        [--samples FILE,...] [--events FILE,...]\n"
    "        The API's sla-report and metrics, offline: samples files hold\n"
    "        {\"samples\": [...]} (any number), events files an array or {\"events\": [...]}.\n"
    "  migrate [--broker URL] (--from PROVIDER[:PREFIX] --to PROVIDER[:PREFIX] | --workload ID --to PROVIDER)\n"
    "          [--key IDEMPOTENCY-KEY] [--detach]\n"
    "        Start a verified migration on a running broker (default http://127.0.0.1:8080)\n"
    "        and follow it: a progress bar on a terminal, one line per step otherwise;\n"
    "        exits 1 when it fails, naming the object that did not verify.\n";

}  // namespace

int main(int argc, char** argv) {
  // Every request allocates and frees answer buffers of tens of KiB on one of
  // the HTTP threads' malloc arenas. With glibc's default trim threshold the
  // arenas hand that memory back to the kernel after each request and fault it
  // in again on the next (measured: ~35 % of the server's CPU in page faults
  // and TLB flushes under load). Keep it: the broker's heap is small anyway.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "serve") return icb::ServeCommand(args);
  if (cmd == "validate") return icb::ValidateCommand(args);
  if (cmd == "rank") return icb::RankCommand(args);
  if (cmd == "compare") return icb::CompareCommand(args);
  if (cmd == "sla-report") return icb::SlaReportCommand(args);
  if (cmd == "metrics") return icb::MetricsCommand(args);
  if (cmd == "migrate") return icb::MigrateCommand(args);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "icbroker: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
