// icbroker migrate: starts a verified migration on a running broker and
// follows it to its end. On a terminal a progress bar; otherwise one line
// per step as it ends. Exits 0 when it succeeded, 1 when it failed (the
// reason names the object that did not verify), 2 for a usage error.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/core/http_client.h"

namespace icb {

using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: icbroker migrate [--broker URL] (--from PROVIDER[:PREFIX] --to PROVIDER[:PREFIX] | --workload ID --to PROVIDER)\n"
    "                        [--key IDEMPOTENCY-KEY] [--detach] [--allow-empty]\n";

// "sim-a:shop/" -> {"provider": "sim-a", "prefix": "shop/"}.
json Place(const std::string& arg) {
  auto colon = arg.find(':');
  json p = {{"provider", arg.substr(0, colon)}};
  if (colon != std::string::npos) p["prefix"] = arg.substr(colon + 1);
  return p;
}

std::string Mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1 << 20));
  return buf;
}

// The problem's detail and its errors, for a refusal.
std::string ProblemText(const HttpClientResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
  std::string out = "HTTP " + std::to_string(r.status) + ": " + j.value("title", "") + (j.contains("detail") ? ": " + j.value("detail", "") : "");
  for (const auto& e : j.value("errors", json::array())) out += "\n  at " + e.value("pointer", "") + ": " + e.value("message", "");
  return out;
}

void Bar(const json& op) {
  const json p = op.value("progress", json::object());
  const double total = p.value("bytes_total", 0.0), done = p.value("bytes_done", 0.0);
  const double frac = total > 0 ? done / total : (p.value("objects_total", 0) > 0 ? 1.0 : 0.0);
  const int width = 30, filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::string step;
  for (const auto& s : op["steps"])
    if (s["state"] == "running" || (step.empty() && s["state"] == "pending")) step = s["name"];
  char line[256];
  std::string eta = p.contains("eta_s") && p["eta_s"].is_number() ? std::to_string(static_cast<long>(p["eta_s"].get<double>())) + " s" : "-";
  std::snprintf(line, sizeof line, "\r[%s] %3.0f%%  %d/%d objects  %s/%s  %s/s  ETA %s  %-10s", bar.c_str(), frac * 100,
                p.value("objects_done", 0), p.value("objects_total", 0), Mib(done).c_str(), Mib(total).c_str(), Mib(p.value("bytes_per_s", 0.0)).c_str(),
                eta.c_str(), step.c_str());
  std::fputs(line, stderr);
  std::fflush(stderr);
}

}  // namespace

int MigrateCommand(const std::vector<std::string>& args) {
  Flags f = ParseFlags(args, {"--broker", "--from", "--to", "--workload", "--key"}, {"--detach", "--allow-empty"});
  const bool workload = f.values.count("--workload") > 0;
  if (!f.error.empty() || !f.positional.empty() || !f.values.count("--to") || workload == (f.values.count("--from") > 0)) {
    std::fprintf(stderr, "icbroker migrate: %s\n%s", f.error.empty() ? "needs --to and one of --from, --workload" : f.error.c_str(), kUsage);
    return 2;
  }
  std::string broker = f.values.count("--broker") ? f.values["--broker"] : "http://127.0.0.1:8080";
  while (!broker.empty() && broker.back() == '/') broker.pop_back();
  auto http = NewCpprestHttpClient();
  HttpClientRequest start;
  start.method = "POST";
  start.headers = {{"Content-Type", "application/json"}};
  if (f.values.count("--key")) start.headers.emplace_back("Idempotency-Key", f.values["--key"]);
  if (workload) {
    start.url = broker + "/v1/workloads/" + f.values["--workload"] + "/migrations";
    start.body = json{{"to", f.values["--to"]}}.dump();
  } else {
    start.url = broker + "/v1/migrations";
    start.body = json{{"source", Place(f.values["--from"])}, {"target", Place(f.values["--to"])}}.dump();
  }
  auto started = http->Send(start);
  if (!started.ok()) {
    std::fprintf(stderr, "icbroker migrate: %s: %s\n", broker.c_str(), started.status().message().c_str());
    return 1;
  }
  if (started->status != 202) {
    std::fprintf(stderr, "icbroker migrate: refused: %s\n", ProblemText(*started).c_str());
    return 1;
  }
  const std::string id = json::parse(started->body)["operation"]["id"];
  std::printf("operation %s\n", id.c_str());
  std::fflush(stdout);
  if (f.values.count("--detach")) return 0;
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::map<std::string, std::string> seen;  // step -> last state printed
  int unreachable = 0;
  for (;;) {
    HttpClientRequest get;
    get.url = broker + "/v1/operations/" + id;
    get.timeout = Millis(10'000);
    auto r = http->Send(get);
    if (!r.ok() || r->status != 200) {
      // The broker restarting: the operation resumes from its records.
      if (++unreachable > 120) {
        std::fprintf(stderr, "\nicbroker migrate: lost the broker: %s\n", r.ok() ? ProblemText(*r).c_str() : r.status().message().c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    unreachable = 0;
    json op = json::parse(r->body, nullptr, false);
    if (op.is_discarded()) continue;
    if (tty) Bar(op);
    for (const auto& s : op["steps"]) {
      const std::string name = s["name"], state = s["state"];
      if (state == "pending" || seen[name] == state) continue;
      seen[name] = state;
      if (tty && state == "running") continue;
      std::string detail = s.value("detail", json::object()).dump();
      if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
      std::fprintf(tty ? stderr : stdout, "%sstep %s %s %s\n", tty ? "\n" : "", name.c_str(), state.c_str(), state == "running" ? "" : detail.c_str());
    }
    std::fflush(stdout);
    const std::string state = op["state"];
    if (state == "succeeded" || state == "failed" || state == "cancelled") {
      if (tty) std::fputs("\n", stderr);
      if (op.contains("progress"))
        std::printf("%s: %d objects, %s, %s written by this run\n", state.c_str(), op["progress"].value("objects_done", 0),
                    Mib(op["progress"].value("bytes_done", 0.0)).c_str(), Mib(op["progress"].value("bytes_written", 0.0)).c_str());
      if (state != "succeeded") {
        std::fprintf(stderr, "icbroker migrate: %s: %s\n", state.c_str(), op.value("reason", "").c_str());
        return 1;
      }
      // An empty source is most often a mistyped prefix: say so.
      int listed = -1;
      for (const auto& s : op["steps"])
        if (s["name"] == "inventory") listed = s.value("detail", json::object()).value("objects", -1);
      if (listed == 0 && !f.values.count("--workload") && !f.values.count("--allow-empty")) {
        std::fprintf(stderr, "icbroker migrate: the source held no objects, so nothing was copied (a mistyped prefix?); "
                             "--allow-empty accepts an empty source\n");
        return 1;
      }
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 500));
  }
}

}  // namespace icb
