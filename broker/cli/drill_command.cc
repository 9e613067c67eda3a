// icbroker drill: asks a running broker what the disaster of some providers
// would do (POST /v1/drills), or plans it offline over a catalog folder and
// workload files (offline_drill.h), and prints it: each workload in the
// order a recovery would take it, where it would land, its predicted RTO in
// parts beside its objective, its predicted RPO and the monthly cost change.
// Nothing is deployed, scaled, switched or copied. Exits 0 when every
// workload is ready as readiness judges it (placed within its RTO and
// RPO, its failover automatic), 3 when some is not
// (so a pipeline can gate on it), 1 when the broker refused or did not
// answer, 2 for a usage error.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/cli/broker_client.h"
#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/cli/offline_drill.h"
#include "broker/core/time.h"
#include "broker/orchestrator/drills/readiness.h"

namespace icb {

using nlohmann::json;

namespace {

struct DrillSettings {
  BrokerConnection connection;
  std::vector<std::string> providers;
  std::string at;
  std::string format = "table";
  // Offline: a catalog folder and workload files instead of a broker.
  std::string catalog, workloads;
  std::vector<std::string> room;  // PROVIDER=INSTANCES
};

std::string Seconds(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v.get<double>());
  return buf;
}

// The verdict readiness gives (drills/readiness.h): "ok", or its reasons.
std::string WorkloadVerdict(const DrillWorkload& w) {
  const WorkloadReadiness v = VerdictOf(w);
  std::string out;
  for (const auto& r : v.reasons) out += (out.empty() ? "" : "; ") + r;
  return v.ready ? "ok" : out;
}

void PrintTable(const json& d, const Drill& typed) {
  std::string down;
  for (const auto& p : d["providers"]) down += (down.empty() ? "" : ", ") + p.get<std::string>();
  std::printf("drill %s: %s down at %s\n\n", d["id"].get<std::string>().c_str(), down.c_str(), d["at"].get<std::string>().c_str());
  std::printf("%-3s %-24s %4s %-16s %-16s %8s %6s  %-31s %8s %6s %11s  %s\n", "#", "workload", "prio", "from", "target", "RTO s", "obj s",
              "detect+capacity+data+dns+verify", "RPO s", "obj s", "cost/month", "verdict");
  int n = 0, missing = 0;
  for (const auto& w : d["workloads"]) {
    const DrillWorkload& typed_w = typed.workloads.at(static_cast<size_t>(n));
    const json& p = w["rto_parts"];
    const std::string parts = Seconds(p["detection_s"]) + "+" + Seconds(p["capacity_s"]) + "+" + Seconds(p["data_s"]) + "+" + Seconds(p["dns_s"]) + "+" +
                              Seconds(p["verify_s"]);
    std::string cost = "-";
    if (w["monthly_cost_change"].is_number()) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%+.2f %s", w["monthly_cost_change"].get<double>(), w.value("currency", json("")).is_string() ? w["currency"].get<std::string>().c_str() : "");
      cost = buf;
    }
    const std::string verdict = WorkloadVerdict(typed_w);
    missing += verdict != "ok";
    std::printf("%-3d %-24s %4d %-16s %-16s %8s %6s  %-31s %8s %6s %11s  %s\n", ++n, w["workload"].get<std::string>().c_str(), w["priority"].get<int>(),
                w["from"].get<std::string>().c_str(), w["target"].is_string() ? w["target"].get<std::string>().c_str() : "-",
                Seconds(w["predicted_rto_s"]).c_str(), Seconds(w.value("rto_s", json())).c_str(), parts.c_str(), Seconds(w["predicted_rpo_s"]).c_str(),
                Seconds(w.value("rpo_s", json())).c_str(), cost.c_str(), verdict.c_str());
  }
  std::printf("\n%d workloads, %d would miss their objectives or have no target\n", n, missing);
}

// Prints a drill and answers the command's exit code.
int Show(const DrillSettings& s, const json& drill, const Drill& typed) {
  if (s.format == "json") std::printf("%s\n", drill.dump(2).c_str());
  else PrintTable(drill, typed);
  for (const auto& w : typed.workloads)
    if (!VerdictOf(w).ready) return 3;
  return 0;
}

int Offline(const DrillSettings& s) {
  if (s.catalog.empty() || s.workloads.empty()) {
    std::fprintf(stderr, "icbroker drill: offline, --catalog and --workloads go together\n");
    return 2;
  }
  OfflineDrillInput in;
  in.catalog_dir = s.catalog;
  in.providers = s.providers;
  if (!s.at.empty()) in.at = ParseRfc3339(s.at);
  for (const auto& item : s.room) {
    const size_t eq = item.find('=');
    int n = -1;
    if (eq != std::string::npos && eq > 0 && eq + 1 < item.size() && item.size() - eq <= 10 &&
        item.find_first_not_of("0123456789", eq + 1) == std::string::npos)
      n = std::stoi(item.substr(eq + 1));
    if (n < 0) {
      std::fprintf(stderr, "icbroker drill: --room takes PROVIDER=INSTANCES (0 to 999999999), got \"%s\"\n", item.c_str());
      return 2;
    }
    in.room[item.substr(0, eq)] = n;
  }
  auto files = WorkloadFilesIn(s.workloads);
  if (!files.ok()) {
    std::fprintf(stderr, "icbroker drill: %s\n", files.status().message().c_str());
    return 1;
  }
  in.workload_files = std::move(*files);
  auto drill = RunOfflineDrill(in);
  if (!drill.ok()) {
    PrintStatus("icbroker drill: ", drill.status());
    return 1;
  }
  return Show(s, DrillToJson(*drill), *drill);
}

}  // namespace

CommandRun DefineDrill(CLI::App& sub) {
  auto s = std::make_shared<DrillSettings>();
  s->connection.AddFlags(sub);
  sub.add_option("--providers", s->providers, "the providers that go down together")->type_name("ID,...")->delimiter(',')->required();
  sub.add_option("--at", s->at, "the moment supposed: the SLAs in force and each replica's lag then (default: now)")->type_name("TIME")->check(Rfc3339Time());
  sub.add_option("--format", s->format, "table (one line a workload, its verdict) or json (the broker's answer)")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT")
      ->capture_default_str();
  sub.add_option("--catalog", s->catalog, "plan offline, with no broker: a catalog folder laid out like deploy/demo/ (then --workloads)")
      ->type_name("DIR");
  sub.add_option("--workloads", s->workloads, "offline: a folder of workload documents (*.json) or one such file")->type_name("PATH");
  sub.add_option("--room", s->room, "offline: the instances a provider has room for (default: unbounded)")
      ->type_name("PROVIDER=N,...")
      ->delimiter(',');
  return [s] {
    if (!s->catalog.empty() || !s->workloads.empty()) return Offline(*s);
    auto http = s->connection.Open("drill");
    if (!http) return 2;
    HttpClientRequest post = s->connection.Request("POST", "/v1/drills");
    json body = {{"providers", s->providers}};
    if (!s->at.empty()) body["at"] = s->at;
    post.body = body.dump();
    auto answered = http->Send(post);
    if (!answered.ok()) {
      std::fprintf(stderr, "icbroker drill: %s: %s\n", s->connection.broker.c_str(), answered.status().message().c_str());
      return 1;
    }
    if (answered->status != 200) {
      std::fprintf(stderr, "icbroker drill: refused: %s\n", ProblemText(*answered).c_str());
      return 1;
    }
    json drill = json::parse(answered->body, nullptr, false);
    auto typed = drill.is_discarded() ? Result<Drill>(InvalidArgument("not JSON")) : DrillFromJson(drill);
    if (!typed.ok()) {
      std::fprintf(stderr, "icbroker drill: the broker's answer is not a drill: %s\n", typed.status().message().c_str());
      return 1;
    }
    return Show(*s, drill, *typed);
  };
}

}  // namespace icb
