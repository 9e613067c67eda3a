#include "broker/cli/commands.h"
#include "broker/cli/flags.h"

#include <signal.h>

#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/app/broker_app.h"
#include "broker/catalog/loader.h"
#include "broker/core/time.h"
#include "broker/qos/prober.h"
#include "broker/qos/sample_batch.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/redis_store.h"

namespace icb {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintStatus(const std::string& prefix, const Status& s) {
  std::fprintf(stderr, "%s%s\n", prefix.c_str(), s.message().c_str());
  for (const auto& e : s.errors()) {
    std::fprintf(stderr, "  %s: %s\n", e.pointer.empty() ? "(root)" : e.pointer.c_str(), e.message.c_str());
  }
}

std::shared_ptr<const SchemaSet> Schemas() {
  auto s = SchemaSet::LoadEmbedded();
  if (!s.ok()) {
    PrintStatus("icbroker: ", s.status());
    std::exit(1);
  }
  return *s;
}

}  // namespace


int ServeCommand(const std::vector<std::string>& args) {
  Flags f = ParseFlags(args,
                       {"--listen", "--data-dir", "--redis", "--appendfsync", "--threads", "--vantage", "--max-connections",
                        "--max-header-bytes", "--max-request-line", "--header-timeout-ms", "--idle-timeout-ms", "--body-timeout-ms",
                        "--json-max-depth", "--json-max-string", "--json-max-items", "--json-max-members", "--credentials", "--catalog", "--broker-id"},
                       {"--demo", "--probe"});
  if (!f.error.empty() || !f.positional.empty()) {
    std::fprintf(stderr, "icbroker serve: %s\n", f.error.empty() ? "unexpected argument" : f.error.c_str());
    return 2;
  }
  // Limits on what one client may send or hold; each has a documented default.
  HttpServerLimits http_limits;
  ApiLimits api_limits;
  std::string bad_limit;
  auto size_flag = [&](const char* name, size_t& out) {
    auto it = f.values.find(name);
    if (it == f.values.end()) return;
    char* end = nullptr;
    unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v == 0 || it->second[0] == '-') bad_limit = std::string(name) + " wants a positive integer, got " + it->second;
    else out = static_cast<size_t>(v);
  };
  auto millis_flag = [&](const char* name, std::chrono::milliseconds& out) {
    size_t v = static_cast<size_t>(out.count());
    size_flag(name, v);
    out = std::chrono::milliseconds(v);
  };
  size_flag("--max-connections", http_limits.max_connections);
  size_flag("--max-header-bytes", http_limits.max_header_bytes);
  size_flag("--max-request-line", http_limits.max_request_line);
  millis_flag("--header-timeout-ms", http_limits.header_timeout);
  millis_flag("--idle-timeout-ms", http_limits.idle_timeout);
  millis_flag("--body-timeout-ms", http_limits.body_timeout);
  size_flag("--json-max-depth", api_limits.json.max_depth);
  size_flag("--json-max-string", api_limits.json.max_string_bytes);
  size_flag("--json-max-items", api_limits.json.max_array_items);
  size_flag("--json-max-members", api_limits.json.max_object_members);
  if (!bad_limit.empty()) {
    std::fprintf(stderr, "icbroker serve: %s\n", bad_limit.c_str());
    return 2;
  }
  std::string listen = f.values.count("--listen") ? f.values["--listen"] : "127.0.0.1:8080";
  auto colon = listen.rfind(':');
  int port = 0;
  try { port = std::stoi(listen.substr(colon + 1)); } catch (...) { port = -1; }
  if (colon == std::string::npos || port < 0 || port > 65535) {
    std::fprintf(stderr, "icbroker serve: --listen wants HOST:PORT, got %s\n", listen.c_str());
    return 2;
  }
  BrokerOptions options;
  options.host = listen.substr(0, colon);
  options.port = port;
  if (f.values.count("--threads")) options.http_threads = std::max(2, std::atoi(f.values["--threads"].c_str()));
  options.http = http_limits;
  options.api = api_limits;
  options.demo = f.values.count("--demo") > 0;
  if (f.values.count("--probe")) options.probe_vantage = f.values.count("--vantage") ? f.values["--vantage"] : "local";
  if (f.values.count("--redis")) {
    auto addr = ParseRedisUrl(f.values["--redis"]);
    if (!addr.ok()) { PrintStatus("icbroker serve: ", addr.status()); return 2; }
    options.redis = *addr;
  }
  if (f.values.count("--data-dir")) options.data_dir = f.values["--data-dir"];
  if (f.values.count("--credentials")) options.credentials_file = f.values["--credentials"];
  if (f.values.count("--catalog")) options.catalog_dir = f.values["--catalog"];
  if (f.values.count("--broker-id")) options.broker_id = f.values["--broker-id"];
  if (f.values.count("--appendfsync")) options.appendfsync = f.values["--appendfsync"];
  if (options.appendfsync != "always" && options.appendfsync != "everysec") {
    std::fprintf(stderr, "icbroker serve: --appendfsync is always or everysec\n");
    return 2;
  }

  // Signals are handled by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto broker = BrokerApp::Start(options, [](const std::string& line) {
    std::fprintf(stderr, "icbroker: %s\n", line.c_str());
    std::fflush(stderr);
  });
  if (!broker.ok()) { PrintStatus("icbroker serve: ", broker.status()); return 1; }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "icbroker: signal %d, shutting down\n", sig);
  (*broker)->Stop();
  return 0;
}

int ValidateCommand(const std::vector<std::string>& args) {
  Flags f = ParseFlags(args, {"--schema"}, {});
  if (!f.error.empty() || f.positional.empty()) {
    std::fprintf(stderr, "icbroker validate: %s\nusage: icbroker validate [--schema NAME] FILE...\n",
                 f.error.empty() ? "no files given" : f.error.c_str());
    return 2;
  }
  auto schemas = Schemas();
  int bad = 0;
  for (const auto& path : f.positional) {
    std::string schema = f.values.count("--schema") ? f.values["--schema"] : fs::path(path).filename().string();
    schema = schema.substr(0, schema.find('.')) + ".json";
    if (!schemas->Has(schema)) {
      std::fprintf(stderr, "%s: no schema %s (name one with --schema: provider, sla, profile, qos_sample_batch, event, rank_request)\n",
                   path.c_str(), schema.c_str());
      ++bad;
      continue;
    }
    auto text = ReadFile(path);
    Status s = text.ok() ? CheckDocumentText(*schemas, schema, *text) : text.status();
    if (s.ok()) {
      std::printf("%s: valid %s\n", path.c_str(), schema.c_str());
    } else {
      ++bad;
      std::printf("%s: invalid %s: %s\n", path.c_str(), schema.c_str(), s.message().c_str());
      for (const auto& e : s.errors()) std::printf("  %s: %s\n", e.pointer.empty() ? "(root)" : e.pointer.c_str(), e.message.c_str());
    }
  }
  return bad == 0 ? 0 : 1;
}

// A sample file may hold more than one API batch: checked and stored in
// batches, errors pointing into the file.
Status LoadSamplesFile(QosService& qos, const json& doc) {
  if (!doc.is_object() || !doc.contains("samples") || !doc["samples"].is_array()) return InvalidArgument("expected {\"samples\": [...]}");
  const json& all = doc["samples"];
  for (size_t at = 0; at < all.size(); at += kMaxSamplesPerBatch) {
    json batch = {{"samples", json(all.begin() + static_cast<std::ptrdiff_t>(at),
                                   all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), at + kMaxSamplesPerBatch)))}};
    auto r = qos.Ingest(batch);
    if (!r.ok()) {
      std::vector<FieldError> errors;
      for (const auto& e : r.status().errors()) {
        std::string p = e.pointer;
        if (p.rfind("/samples/", 0) == 0) {
          size_t slash = p.find('/', 9);
          size_t index = std::stoul(p.substr(9, slash - 9)) + at;
          p = "/samples/" + std::to_string(index) + (slash == std::string::npos ? "" : p.substr(slash));
        }
        errors.push_back({p, e.message});
      }
      return Status(r.status().code(), r.status().message(), errors);
    }
  }
  return Status::Ok();
}

// An events file: an array of events, or {"events": [...]}, of one provider.
Status LoadEventsFile(QosService& qos, const std::string& provider, const json& doc) {
  const json& list = doc.is_object() && doc.contains("events") ? doc["events"] : doc;
  if (!list.is_array()) return InvalidArgument("expected an array of events or {\"events\": [...]}");
  for (size_t i = 0; i < list.size(); ++i) {
    auto added = qos.AddEvent(provider, list[i]);
    if (!added.ok()) {
      std::vector<FieldError> errors;
      for (const auto& e : added.status().errors()) errors.push_back({"/" + std::to_string(i) + e.pointer, e.message});
      return Status(added.status().code(), added.status().message(), errors);
    }
  }
  return Status::Ok();
}

// Runs `fn` on each JSON file of a comma-separated list; prints the first
// failure, naming the file. Items may be PROVIDER=FILE; `fn` gets the item.
bool EachJsonFile(const std::string& command, const std::string& list, const std::function<Status(const std::string& item, const json&)>& fn) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');  // PROVIDER=FILE items
    std::string path = eq == std::string::npos ? item : item.substr(eq + 1);
    auto text = ReadFile(path);
    Result<json> doc = text.ok() ? ParseJson(*text) : Result<json>(text.status());
    Status st = doc.ok() ? fn(item, *doc) : doc.status();
    if (!st.ok()) {
      PrintStatus("icbroker " + command + ": " + path + ": ", st);
      return false;
    }
  }
  return true;
}

// A catalog folder in an in-memory store, for the offline commands.
struct OfflineBroker {
  std::unique_ptr<Store> store = NewMemoryStore();
  Catalog catalog{*store, Schemas()};
  QosService qos{*store, catalog};
  PolicyRegistry policies;
  bool Load(const std::string& command, const std::string& dir) {
    RegisterBuiltinPolicies(policies);
    auto files = ReadCatalogDir(dir);
    if (!files.ok()) {
      PrintStatus("icbroker " + command + ": ", files.status());
      return false;
    }
    if (auto loaded = LoadCatalogFiles(catalog, *files, LoadMode::kStrict); !loaded.ok()) {
      PrintStatus("icbroker " + command + ": ", loaded.status());
      return false;
    }
    return true;
  }
};

// sla-report and metrics over files: the same computation as the API, on an
// in-memory store loaded from a catalog folder, sample batch files and events.
int QosReportCommand(const std::vector<std::string>& args, bool sla_report) {
  const char* name = sla_report ? "sla-report" : "metrics";
  Flags f = ParseFlags(args, {"--catalog", "--samples", "--events", "--provider", "--month", "--from", "--to", "--billed"}, {});
  bool window_ok = sla_report ? f.values.count("--month") == 1 : (f.values.count("--month") || (f.values.count("--from") && f.values.count("--to")));
  if (!f.error.empty() || !f.values.count("--catalog") || !f.values.count("--provider") || !window_ok) {
    std::fprintf(stderr,
                 "icbroker %s: %s\nusage: icbroker %s --catalog DIR --provider ID %s [--samples FILE[,FILE...]] [--events FILE[,FILE...]]%s\n",
                 name, f.error.empty() ? "missing options" : f.error.c_str(), name, sla_report ? "--month YYYY-MM" : "(--month YYYY-MM | --from T --to T)",
                 sla_report ? " [--billed A,B,C]" : "");
    return 2;
  }
  OfflineBroker b;
  if (!b.Load(name, f.values["--catalog"])) return 1;
  if (f.values.count("--samples") &&
      !EachJsonFile(name, f.values["--samples"], [&](const std::string&, const json& doc) { return LoadSamplesFile(b.qos, doc); })) {
    return 1;
  }
  if (f.values.count("--events") &&
      !EachJsonFile(name, f.values["--events"], [&](const std::string&, const json& doc) { return LoadEventsFile(b.qos, f.values["--provider"], doc); })) {
    return 1;
  }
  std::map<std::string, std::string> query;
  for (const char* key : {"month", "from", "to", "billed"})
    if (f.values.count(std::string("--") + key)) query[key] = f.values[std::string("--") + key];
  auto out = sla_report ? b.qos.SlaReportJson(f.values["--provider"], query) : b.qos.MetricsJson(f.values["--provider"], query);
  if (!out.ok()) { PrintStatus("icbroker " + std::string(name) + ": ", out.status()); return 1; }
  std::printf("%s\n", json::parse(*out).dump(2).c_str());
  return 0;
}

int SlaReportCommand(const std::vector<std::string>& args) { return QosReportCommand(args, true); }
int MetricsCommand(const std::vector<std::string>& args) { return QosReportCommand(args, false); }

// The profile part of a rank or compare request from --profile FILE or --profile-id ID.
bool ProfileFlags(const std::string& command, Flags& f, json& request) {
  if (f.values.count("--profile")) {
    auto text = ReadFile(f.values["--profile"]);
    if (!text.ok()) { PrintStatus("icbroker " + command + ": ", text.status()); return false; }
    auto doc = ParseJson(*text);
    if (!doc.ok()) { PrintStatus("icbroker " + command + ": " + f.values["--profile"] + ": ", doc.status()); return false; }
    request["profile"] = *doc;
  } else {
    request["profile_id"] = f.values["--profile-id"];
  }
  return true;
}

int RankCommand(const std::vector<std::string>& args) {
  Flags f = ParseFlags(args, {"--catalog", "--profile", "--profile-id", "--policy", "--top-k", "--at"}, {});
  if (!f.error.empty() || !f.positional.empty() || !f.values.count("--catalog") ||
      (f.values.count("--profile") == f.values.count("--profile-id"))) {
    std::fprintf(stderr, "icbroker rank: %s\nusage: icbroker rank --catalog DIR (--profile FILE | --profile-id ID) [--policy NAME] [--top-k N] [--at TIME]\n",
                 f.error.empty() ? "needs --catalog and one of --profile, --profile-id" : f.error.c_str());
    return 2;
  }
  OfflineBroker b;
  if (!b.Load("rank", f.values["--catalog"])) return 1;
  json request = json::object();
  if (!ProfileFlags("rank", f, request)) return 1;
  if (f.values.count("--policy")) request["policy"] = f.values["--policy"];
  if (f.values.count("--top-k")) request["top_k"] = std::atoi(f.values["--top-k"].c_str());
  TimePoint now = SystemClock().Now();
  if (f.values.count("--at")) {
    auto t = ParseRfc3339(f.values["--at"]);
    if (!t) { std::fprintf(stderr, "icbroker rank: --at is not an RFC 3339 time\n"); return 2; }
    now = *t;
  }
  // No samples offline: measured evidence marks every provider.
  auto out = RankRequestToJson(b.catalog, b.policies, request, now, &b.qos);
  if (!out.ok()) { PrintStatus("icbroker rank: ", out.status()); return 1; }
  std::printf("%s\n", json::parse(*out).dump(2).c_str());
  return 0;
}

// The procurement report over a catalog folder, with measurements and
// characteristic checks from files when given.
int CompareCommand(const std::vector<std::string>& args) {
  Flags f = ParseFlags(args, {"--catalog", "--profile", "--profile-id", "--providers", "--format", "--at", "--out", "--samples", "--events"}, {});
  if (!f.error.empty() || !f.positional.empty() || !f.values.count("--catalog") ||
      (f.values.count("--profile") == f.values.count("--profile-id"))) {
    std::fprintf(stderr,
                 "icbroker compare: %s\nusage: icbroker compare --catalog DIR (--profile FILE | --profile-id ID) [--providers ID,ID...]\n"
                 "         [--format json|md|csv|html] [--out FILE] [--at TIME] [--samples FILE,...] [--events PROVIDER=FILE,...]\n",
                 f.error.empty() ? "needs --catalog and one of --profile, --profile-id" : f.error.c_str());
    return 2;
  }
  OfflineBroker b;
  if (!b.Load("compare", f.values["--catalog"])) return 1;
  if (f.values.count("--samples") &&
      !EachJsonFile("compare", f.values["--samples"], [&](const std::string&, const json& doc) { return LoadSamplesFile(b.qos, doc); })) {
    return 1;
  }
  if (f.values.count("--events") && !EachJsonFile("compare", f.values["--events"], [&](const std::string& item, const json& doc) {
        size_t eq = item.find('=');
        if (eq == std::string::npos) return InvalidArgument("--events items are PROVIDER=FILE");
        return LoadEventsFile(b.qos, item.substr(0, eq), doc);
      })) {
    return 1;
  }
  json request = json::object();
  if (!ProfileFlags("compare", f, request)) return 1;
  if (f.values.count("--providers")) {
    std::vector<std::string> ids;
    std::stringstream ss(f.values["--providers"]);
    for (std::string id; std::getline(ss, id, ',');) ids.push_back(id);
    request["providers"] = ids;
  }
  if (f.values.count("--format")) request["format"] = f.values["--format"];
  if (f.values.count("--at")) request["at"] = f.values["--at"];
  auto out = CompareRequestTo(b.catalog, b.policies, request, SystemClock().Now(), &b.qos);
  if (!out.ok()) { PrintStatus("icbroker compare: ", out.status()); return 1; }
  std::string body = out->format == ReportFormat::kJson ? json::parse(out->body).dump(2) + "\n" : out->body;
  if (!f.values.count("--out")) {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return 0;
  }
  // Written whole to a temporary file, then renamed: never a half report.
  std::string path = f.values["--out"], tmp = path + ".tmp";
  FILE* file = std::fopen(tmp.c_str(), "wb");
  bool ok = file && std::fwrite(body.data(), 1, body.size(), file) == body.size();
  ok = file && std::fclose(file) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "icbroker compare: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    std::remove(tmp.c_str());
    return 1;
  }
  std::fprintf(stderr, "icbroker compare: wrote %s (%zu bytes)\n", path.c_str(), body.size());
  return 0;
}

}  // namespace icb
