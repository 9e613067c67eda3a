// The commands that work offline, over files: validate, rank, compare,
// sla-report and metrics. Each computes what the API would answer, on an
// in-memory store loaded from a catalog folder and sample or event files.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/catalog/loader.h"
#include "broker/cli/commands.h"
#include "broker/cli/flags.h"
#include "broker/core/time.h"
#include "broker/qos/sample_batch.h"
#include "broker/schema/recognise.h"
#include "broker/store/store.h"

namespace icb {

using nlohmann::json;

namespace {

std::shared_ptr<const SchemaSet> Schemas() {
  auto s = SchemaSet::LoadEmbedded();
  if (!s.ok()) {
    PrintStatus("icbroker: ", s.status());
    std::exit(1);
  }
  return *s;
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

// Runs `fn` on each JSON file of a list; prints the first failure, naming
// the file. Items may be PROVIDER=FILE; `fn` gets the item.
bool EachJsonFile(const std::string& command, const std::vector<std::string>& items,
                  const std::function<Status(const std::string& item, const json&)>& fn) {
  for (const std::string& item : items) {
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


// Flags several commands share, defined once.
void AddCatalogFlag(CLI::App& sub, std::string& dir) {
  sub.add_option("--catalog", dir, "a catalog folder laid out like deploy/demo/ (providers/, slas/PROVIDER/, profiles/)")->type_name("DIR")->required();
}

void AddProfileFlags(CLI::App& sub, std::string& file, std::string& id) {
  auto* one = sub.add_option_group("Profile", "the requirement profile: exactly one of");
  one->add_option("--profile", file, "a profile document")->type_name("FILE");
  one->add_option("--profile-id", id, "a profile of the catalog (profiles/ID.json)")->type_name("ID");
  one->require_option(1);
}

void AddMeasurementFlags(CLI::App& sub, std::vector<std::string>& samples, std::vector<std::string>& events, const char* events_type,
                         const char* events_meaning) {
  sub.add_option("--samples", samples, "sample files, {\"samples\": [...]} with any number of samples")->type_name("FILE,...")->delimiter(',');
  sub.add_option("--events", events, events_meaning)->type_name(events_type)->delimiter(',');
}

// The profile part of a rank or compare request.
bool ProfileRequest(const std::string& command, const std::string& file, const std::string& id, json& request) {
  if (file.empty()) {
    request["profile_id"] = id;
    return true;
  }
  auto text = ReadFile(file);
  if (!text.ok()) {
    PrintStatus("icbroker " + command + ": ", text.status());
    return false;
  }
  auto doc = ParseJson(*text);
  if (!doc.ok()) {
    PrintStatus("icbroker " + command + ": " + file + ": ", doc.status());
    return false;
  }
  request["profile"] = *doc;
  return true;
}

// --- validate ---------------------------------------------------------------

struct ValidateSettings {
  std::string schema;
  std::vector<std::string> files;
};

std::string SchemaList(const SchemaSet& schemas) {
  std::string out;
  for (const auto& name : schemas.DocumentSchemas()) out += (out.empty() ? "" : ", ") + name.substr(0, name.size() - 5);
  return out;
}

void PrintViolations(const std::string& path, const std::string& schema, const Status& s, const std::string& note) {
  std::printf("%s: invalid %s: %s%s\n", path.c_str(), schema.c_str(), s.message().c_str(), note.c_str());
  for (const auto& e : s.errors()) std::printf("  %s: %s\n", e.pointer.empty() ? "(root)" : e.pointer.c_str(), e.message.c_str());
}

// One file: true when valid.
bool ValidateFile(const SchemaSet& schemas, const std::string& path, const std::string& forced_schema) {
  auto text = ReadFile(path);
  Result<json> doc = text.ok() ? ParseJson(*text) : Result<json>(text.status());
  if (!doc.ok()) {
    PrintViolations(path, forced_schema.empty() ? "JSON" : forced_schema, doc.status(), "");
    return false;
  }
  if (!forced_schema.empty()) {
    Status s = CheckDocument(schemas, forced_schema, *doc);
    if (!s.ok()) PrintViolations(path, forced_schema, s, "");
    else std::printf("%s: valid %s\n", path.c_str(), forced_schema.c_str());
    return s.ok();
  }
  Recognition r = RecogniseDocument(schemas, *doc);
  // The rules a schema cannot state (a bound's min above its max) too.
  if (r.status.ok() && !r.schema.empty()) r.status = CheckDocument(schemas, r.schema, *doc);
  if (r.schema.empty()) {
    std::printf("%s: invalid: not a document icbroker knows (%s); pass --schema NAME: %s\n", path.c_str(), r.status.message().c_str(),
                SchemaList(schemas).c_str());
    return false;
  }
  if (!r.status.ok()) {
    PrintViolations(path, r.schema, r.status, " (recognised by its fields; pass --schema NAME if it is another kind)");
    return false;
  }
  std::string also;
  for (const auto& a : r.also_valid) also += (also.empty() ? " (also valid as " : ", ") + a;
  std::printf("%s: valid %s%s\n", path.c_str(), r.schema.c_str(), also.empty() ? "" : (also + ")").c_str());
  return true;
}

int RunValidate(const ValidateSettings& v) {
  auto schemas = Schemas();
  std::string forced = v.schema;
  if (!forced.empty() && !forced.ends_with(".json")) forced += ".json";
  if (!forced.empty() && !schemas->Has(forced)) {
    std::fprintf(stderr, "icbroker validate: --schema: no schema %s (one of: %s)\n", v.schema.c_str(), SchemaList(*schemas).c_str());
    return 2;
  }
  int bad = 0;
  for (const auto& path : v.files) bad += ValidateFile(*schemas, path, forced) ? 0 : 1;
  return bad == 0 ? 0 : 1;
}

// --- sla-report and metrics -------------------------------------------------

struct QosReportSettings {
  bool sla_report = false;
  std::string catalog, provider, month, from, to, billed;
  std::vector<std::string> samples, events;
};

// The same computation as the API's, on an in-memory store loaded from a
// catalog folder, sample batch files and events.
int RunQosReport(const QosReportSettings& s) {
  const char* name = s.sla_report ? "sla-report" : "metrics";
  if (!s.sla_report && s.month.empty() && (s.from.empty() || s.to.empty())) {
    std::fprintf(stderr, "icbroker metrics: needs --month, or --from and --to\nRun icbroker metrics --help for the flags.\n");
    return 2;
  }
  OfflineBroker b;
  if (!b.Load(name, s.catalog)) return 1;
  if (!EachJsonFile(name, s.samples, [&](const std::string&, const json& doc) { return LoadSamplesFile(b.qos, doc); })) return 1;
  if (!EachJsonFile(name, s.events, [&](const std::string&, const json& doc) { return LoadEventsFile(b.qos, s.provider, doc); })) return 1;
  std::map<std::string, std::string> query;
  for (const auto& [key, value] : {std::pair{"month", s.month}, {"from", s.from}, {"to", s.to}, {"billed", s.billed}})
    if (!value.empty()) query[key] = value;
  auto out = s.sla_report ? b.qos.SlaReportJson(s.provider, query) : b.qos.MetricsJson(s.provider, query);
  if (!out.ok()) {
    PrintStatus("icbroker " + std::string(name) + ": ", out.status());
    return 1;
  }
  std::printf("%s\n", json::parse(*out).dump(2).c_str());
  return 0;
}

CommandRun DefineQosReport(CLI::App& sub, bool sla_report) {
  auto s = std::make_shared<QosReportSettings>();
  s->sla_report = sla_report;
  AddCatalogFlag(sub, s->catalog);
  sub.add_option("--provider", s->provider, "the provider reported on")->type_name("ID")->required();
  auto* month = sub.add_option("--month", s->month, "a calendar month of the SLA's time zone")->type_name("YYYY-MM");
  if (sla_report) {
    month->required();
    sub.add_option("--billed", s->billed, "the amounts billed in the months the fee basis averages, oldest first")->type_name("A,B,C");
  } else {
    auto* from = sub.add_option("--from", s->from, "the window's start (with --to)")->type_name("TIME")->check(Rfc3339Time());
    auto* to = sub.add_option("--to", s->to, "the window's end (with --from)")->type_name("TIME")->check(Rfc3339Time());
    from->needs(to)->excludes(month);
    to->needs(from)->excludes(month);
  }
  AddMeasurementFlags(sub, s->samples, s->events, "FILE,...", "event files of the provider: an array of events or {\"events\": [...]}");
  return [s] { return RunQosReport(*s); };
}

// --- rank ---------------------------------------------------------------------

struct RankSettings {
  std::string catalog, profile, profile_id, policy, at;
  int top_k = 0;
};

int RunRank(const RankSettings& s) {
  OfflineBroker b;
  if (!b.Load("rank", s.catalog)) return 1;
  json request = json::object();
  if (!ProfileRequest("rank", s.profile, s.profile_id, request)) return 1;
  if (!s.policy.empty()) request["policy"] = s.policy;
  if (s.top_k > 0) request["top_k"] = s.top_k;
  TimePoint now = s.at.empty() ? SystemClock().Now() : *ParseRfc3339(s.at);
  // No samples offline: measured evidence marks every provider.
  auto out = RankRequestToJson(b.catalog, b.policies, request, TenantSpace::Default(), now, &b.qos);
  if (!out.ok()) {
    PrintStatus("icbroker rank: ", out.status());
    return 1;
  }
  std::printf("%s\n", json::parse(*out).dump(2).c_str());
  return 0;
}

// --- compare ------------------------------------------------------------------

struct CompareSettings {
  std::string catalog, profile, profile_id, format, out, at;
  std::vector<std::string> providers, samples, events;
};

// Written whole to a temporary file, then renamed: never a half report.
bool WriteWhole(const std::string& path, const std::string& body) {
  std::string tmp = path + ".tmp";
  FILE* file = std::fopen(tmp.c_str(), "wb");
  bool ok = file && std::fwrite(body.data(), 1, body.size(), file) == body.size();
  ok = file && std::fclose(file) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "icbroker compare: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// The procurement report over a catalog folder, with measurements and
// characteristic checks from files when given.
int RunCompare(const CompareSettings& s) {
  OfflineBroker b;
  if (!b.Load("compare", s.catalog)) return 1;
  if (!EachJsonFile("compare", s.samples, [&](const std::string&, const json& doc) { return LoadSamplesFile(b.qos, doc); })) return 1;
  if (!EachJsonFile("compare", s.events, [&](const std::string& item, const json& doc) {
        size_t eq = item.find('=');
        if (eq == std::string::npos) return InvalidArgument("--events items are PROVIDER=FILE");
        return LoadEventsFile(b.qos, item.substr(0, eq), doc);
      })) {
    return 1;
  }
  json request = json::object();
  if (!ProfileRequest("compare", s.profile, s.profile_id, request)) return 1;
  if (!s.providers.empty()) request["providers"] = s.providers;
  if (!s.format.empty()) request["format"] = s.format;
  if (!s.at.empty()) request["at"] = s.at;
  auto out = CompareRequestTo(b.catalog, b.policies, request, TenantSpace::Default(), SystemClock().Now(), &b.qos);
  if (!out.ok()) {
    PrintStatus("icbroker compare: ", out.status());
    return 1;
  }
  std::string body = out->format == ReportFormat::kJson ? json::parse(out->body).dump(2) + "\n" : out->body;
  if (s.out.empty()) {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return 0;
  }
  if (!WriteWhole(s.out, body)) return 1;
  std::fprintf(stderr, "icbroker compare: wrote %s (%zu bytes)\n", s.out.c_str(), body.size());
  return 0;
}

}  // namespace

CommandRun DefineValidate(CLI::App& sub) {
  auto s = std::make_shared<ValidateSettings>();
  sub.add_option("--schema", s->schema, "check every file against this schema (provider, sla, profile, workload, ...) instead of recognising each by its content")
      ->type_name("NAME");
  sub.add_option("FILE", s->files, "JSON documents: providers, SLAs, profiles, workloads, sample batches, events, request bodies")->required();
  return [s] { return RunValidate(*s); };
}

CommandRun DefineSlaReport(CLI::App& sub) { return DefineQosReport(sub, true); }
CommandRun DefineMetrics(CLI::App& sub) { return DefineQosReport(sub, false); }

CommandRun DefineRank(CLI::App& sub) {
  auto s = std::make_shared<RankSettings>();
  AddCatalogFlag(sub, s->catalog);
  AddProfileFlags(sub, s->profile, s->profile_id);
  sub.add_option("--policy", s->policy, "the ranking policy: weighted_sum, topsis or ahp (default: the profile's, else weighted_sum)")->type_name("NAME");
  sub.add_option("--top-k", s->top_k, "list only the best N (default: every eligible provider)")->type_name("N")->check(PositiveInteger());
  sub.add_option("--at", s->at, "rank as of this time: the SLA versions in effect then (default: now)")->type_name("TIME")->check(Rfc3339Time());
  return [s] { return RunRank(*s); };
}

CommandRun DefineCompare(CLI::App& sub) {
  auto s = std::make_shared<CompareSettings>();
  AddCatalogFlag(sub, s->catalog);
  AddProfileFlags(sub, s->profile, s->profile_id);
  sub.add_option("--providers", s->providers, "compare only these providers (default: every provider)")->type_name("ID,...")->delimiter(',');
  sub.add_option("--format", s->format, "json, md, csv or html (one file that opens offline)")
      ->check(CLI::IsMember({"json", "md", "csv", "html"}))
      ->type_name("FORMAT")
      ->default_str("json");
  sub.add_option("--out", s->out, "write the report to FILE, whole or not at all (default: standard output)")->type_name("FILE");
  sub.add_option("--at", s->at, "compare as of this time (default: now)")->type_name("TIME")->check(Rfc3339Time());
  AddMeasurementFlags(sub, s->samples, s->events, "PROVIDER=FILE,...", "event files, each of the provider named: an array of events or {\"events\": [...]}");
  return [s] { return RunCompare(*s); };
}

}  // namespace icb
