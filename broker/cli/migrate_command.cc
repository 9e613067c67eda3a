// icbroker migrate: starts a verified migration on a running broker and
// follows it to its end. On a terminal a progress bar; otherwise one line
// per step as it ends. Exits 0 when it succeeded, 1 when it failed (the
// reason names the object that did not verify), 2 for a usage error. The
// broker's API key comes from ICBROKER_TOKEN or --token-file (a key on the
// command line would be in the process list and the shell history); an
// https:// broker is verified against --cacert, else the system's CAs.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker/cli/broker_client.h"
#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/core/http_client.h"

namespace icb {

using nlohmann::json;

namespace {

struct MigrateSettings {
  BrokerConnection connection;
  std::string from, to, workload, key;
  bool detach = false, allow_empty = false;
};

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

// Starts the migration; "" when refused (the reason printed).
std::string StartMigration(HttpClient& http, const MigrateSettings& f) {
  HttpClientRequest start = f.connection.Request("POST", f.workload.empty() ? "/v1/migrations" : "/v1/workloads/" + f.workload + "/migrations");
  if (!f.key.empty()) start.headers.emplace_back("Idempotency-Key", f.key);
  start.body = f.workload.empty() ? json{{"source", Place(f.from)}, {"target", Place(f.to)}}.dump() : json{{"to", f.to}}.dump();
  auto started = http.Send(start);
  if (!started.ok()) {
    std::fprintf(stderr, "icbroker migrate: %s: %s\n", f.connection.broker.c_str(), started.status().message().c_str());
    return "";
  }
  if (started->status != 202) {
    std::fprintf(stderr, "icbroker migrate: refused: %s\n", ProblemText(*started).c_str());
    return "";
  }
  return json::parse(started->body)["operation"]["id"];
}

// Follows the operation to its end: the exit code.
int Follow(HttpClient& http, const MigrateSettings& f, const std::string& id) {
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::map<std::string, std::string> seen;  // step -> last state printed
  int unreachable = 0;
  for (;;) {
    HttpClientRequest get = f.connection.Request("GET", "/v1/operations/" + id);
    get.timeout = Millis(10'000);
    auto r = http.Send(get);
    if (r.ok() && (r->status == 401 || r->status == 403)) {
      // Waiting will not change the key: say so now.
      std::fprintf(stderr, "\nicbroker migrate: refused: %s\n", ProblemText(*r).c_str());
      return 1;
    }
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
      if (listed == 0 && f.workload.empty() && !f.allow_empty) {
        std::fprintf(stderr, "icbroker migrate: the source held no objects, so nothing was copied (a mistyped prefix?); "
                             "--allow-empty accepts an empty source\n");
        return 1;
      }
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 250 : 500));
  }
}

}  // namespace

CommandRun DefineMigrate(CLI::App& sub) {
  auto s = std::make_shared<MigrateSettings>();
  s->connection.AddFlags(sub);
  auto* what = sub.add_option_group("Source", "what moves: exactly one of");
  what->add_option("--from", s->from, "a provider's object store, optionally under a key prefix")->type_name("PROVIDER[:PREFIX]");
  what->add_option("--workload", s->workload, "a workload: its data, then its placement")->type_name("ID");
  what->require_option(1);
  sub.add_option("--to", s->to, "where it moves (a provider, with a prefix for --from)")->type_name("PROVIDER[:PREFIX]")->required();
  sub.add_option("--key", s->key, "an Idempotency-Key: the same key again names the same migration")->type_name("KEY");
  sub.add_flag("--detach", s->detach, "print the operation id and return without following it");
  sub.add_flag("--allow-empty", s->allow_empty, "succeed when the source holds no objects (otherwise exit 1: a mistyped prefix?)");
  return [s] {
    auto http = s->connection.Open("migrate");
    if (!http) return 2;
    const std::string id = StartMigration(*http, *s);
    if (id.empty()) return 1;
    std::printf("operation %s\n", id.c_str());
    std::fflush(stdout);
    if (s->detach) return 0;
    return Follow(*http, *s, id);
  };
}

}  // namespace icb
