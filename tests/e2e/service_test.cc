// The icbroker binary, driven over HTTP as a user would: demo ranking, bad
// input, and acknowledged data surviving a kill -9.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "broker/core/time.h"
#include "tests/support/child_process.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/eventually.h"
#include "tests/support/http_stub.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

// One icbroker process on a free port and a data directory, started at
// construction (ready() says whether it answered).
class Broker : public testing::BrokerProcess {
 public:
  // `nofile`: the descriptor limit (soft and hard) the broker runs under; 0 keeps ours.
  Broker(const std::string& data_dir, const std::vector<std::string>& extra = {}, rlim_t nofile = 0)
      : BrokerProcess(Args(data_dir, extra), NewLog(data_dir)) {
    set_nofile(nofile);
    ready_ = Start();
  }
  bool ready() const { return ready_; }

 private:
  static std::vector<std::string> Args(const std::string& data_dir, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--data-dir", data_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  // A log of its own beside the data directory.
  static std::string NewLog(const std::string& data_dir) {
    static int count = 0;
    return std::filesystem::path(data_dir).parent_path().string() + "/broker-" + std::to_string(++count) + ".log";
  }
  bool ready_ = false;
};

// Waits (bounded) for a process that is not our child to disappear.
bool Exits(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    if (kill(pid, 0) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { data_ = tmp_.path() + "/data"; }
  testing::TempDir tmp_;
  std::string data_;
};

TEST_F(ServiceTest, RanksTheDemoCatalogWithExplanations) {
  Broker b(data_, {"--demo"});
  ASSERT_TRUE(b.ready()) << b.Log();
  auto r = HttpCall(b.port(), "POST", "/v1/rank", R"({"profile_id":"kr-saas-critical","top_k":10})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  ASSERT_GE(j["ranking"].size(), 1u);
  EXPECT_EQ(j["ranking"][0]["rank"], 1);
  EXPECT_TRUE(j["ranking"][0]["criteria"]["availability"].contains("contribution"));
  EXPECT_GE(j["excluded"].size(), 1u);
  EXPECT_EQ(json::parse(HttpCall(b.port(), "GET", "/v1/providers").body)["providers"].size(), 9u);
}

TEST_F(ServiceTest, AcknowledgedWritesSurviveKill9) {
  {
    Broker b(data_);
    ASSERT_TRUE(b.ready()) << b.Log();
    int port = b.port();
    json provider = {{"id", "durable"}, {"name", "Durable"}, {"service_model", "PaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}}};
    ASSERT_EQ(HttpCall(port, "PUT", "/v1/providers/durable", provider.dump()).status, 201);
    json sla = {{"version", "1"}, {"effective_from", "2026-01-01T00:00:00Z"}, {"targets", {{"availability_percent", 99.95}}}};
    ASSERT_EQ(HttpCall(port, "POST", "/v1/providers/durable/slas", sla.dump()).status, 201);
    ASSERT_EQ(HttpCall(port, "PUT", "/v1/profiles/mine", R"({"weights":{"availability":1}})").status, 201);
    pid_t redis = b.RedisPid();
    ASSERT_GT(redis, 0) << b.Log();
    b.Kill(SIGKILL);  // right after the 2xx: no shutdown path runs
    ASSERT_TRUE(WIFSIGNALED(b.exit_status()));
    EXPECT_TRUE(Exits(redis)) << "redis-server outlived its broker";
  }
  Broker again(data_);
  ASSERT_TRUE(again.ready()) << again.Log();
  int port = again.port();
  EXPECT_EQ(HttpCall(port, "GET", "/v1/providers/durable").status, 200);
  EXPECT_EQ(json::parse(HttpCall(port, "GET", "/v1/providers/durable/slas/1").body)["targets"]["availability_percent"], 99.95);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/profiles/mine").status, 200);
  auto r = HttpCall(port, "POST", "/v1/rank", R"({"profile_id":"mine"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["ranking"][0]["provider"], "durable");
}

TEST_F(ServiceTest, BadInputGetsItsStatusAndChangesNothing) {
  Broker b(data_, {"--demo"});
  ASSERT_TRUE(b.ready()) << b.Log();
  int port = b.port();
  std::string before = HttpCall(port, "GET", "/v1/providers").body;
  std::string sla_before = HttpCall(port, "GET", "/v1/providers/hanbit-cloud/slas").body;
  auto problem = [&](const testing::HttpReply& r) {
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/problem+json");
    return json::parse(r.body);
  };
  auto malformed = HttpCall(port, "PUT", "/v1/providers/x", "{\"id\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(problem(malformed)["errors"][0]["pointer"], "/id");  // where the value is missing
  auto schema = HttpCall(port, "PUT", "/v1/providers/x", R"({"id":"x","name":"X","service_model":"IaaS","regions":[{"id":"r","country":"Korea"}]})");
  EXPECT_EQ(schema.status, 400);
  EXPECT_EQ(problem(schema)["errors"][0]["pointer"], "/regions/0/country");
  EXPECT_EQ(HttpCall(port, "GET", "/v1/providers/nope").status, 404);
  json dup = json::parse(HttpCall(port, "GET", "/v1/providers/hanbit-cloud/slas/2026.1").body);
  dup["targets"]["availability_percent"] = 90;
  auto conflict = HttpCall(port, "POST", "/v1/providers/hanbit-cloud/slas", dup.dump());
  EXPECT_EQ(conflict.status, 409);
  problem(conflict);
  std::string big(2 << 20, ' ');
  auto too_large = HttpCall(port, "PUT", "/v1/providers/x", "{\"id\":\"x\"" + big + "}");
  EXPECT_EQ(too_large.status, 413);
  auto media = HttpCall(port, "PUT", "/v1/providers/x", R"({"id":"x"})", "text/plain");
  EXPECT_EQ(media.status, 415);
  problem(media);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/providers").body, before);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/providers/hanbit-cloud/slas").body, sla_before);
}

TEST_F(ServiceTest, SamplesAcknowledgedWith202SurviveKill9) {
  json provider = {{"id", "p1"}, {"name", "P1"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}}};
  json batch = {{"samples", json::array()}};
  // Two days ago at midnight: within the raw retention (samples older are refused).
  const TimePoint t0 = std::chrono::time_point_cast<Millis>(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days(2));
  for (int i = 0; i < 1000; ++i) {
    bool ok = i < 100 || i >= 106;  // down for 6 probes of 10 s: one minute
    json smp = {{"provider", "p1"}, {"endpoint", "api"}, {"vantage", "v"}, {"ts", FormatRfc3339(t0 + std::chrono::seconds(10 * i))},
                {"interval_s", 10}, {"ok", ok}};
    if (ok) smp["latency_ms"] = 20 + i % 7;
    batch["samples"].push_back(smp);
  }
  {
    Broker b(data_);
    ASSERT_TRUE(b.ready()) << b.Log();
    ASSERT_EQ(HttpCall(b.port(), "PUT", "/v1/providers/p1", provider.dump()).status, 201);
    auto r = HttpCall(b.port(), "POST", "/v1/qos/samples", batch.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(json::parse(r.body)["accepted"], 1000);
    b.Kill(SIGKILL);
  }
  Broker again(data_);
  ASSERT_TRUE(again.ready()) << again.Log();
  // 1,000 samples of 10 s: 00:00 to 02:46:40.
  auto m = HttpCall(again.port(), "GET", "/v1/providers/p1/metrics?from=" + FormatRfc3339(t0) + "&to=" + FormatRfc3339(t0 + std::chrono::hours(3)));
  ASSERT_EQ(m.status, 200) << m.body;
  auto j = json::parse(m.body);
  EXPECT_EQ(j["downtime_minutes"], 1);
  EXPECT_EQ(j["response_ms"]["count"], 994);
  // The retry of the same batch is recognised.
  EXPECT_EQ(json::parse(HttpCall(again.port(), "POST", "/v1/qos/samples", batch.dump()).body)["duplicates"], 1000);
}

TEST_F(ServiceTest, ProbesALocalServer) {
  testing::StubHttpServer target;
  Broker b(data_, {"--probe", "--vantage", "e2e"});
  ASSERT_TRUE(b.ready()) << b.Log();
  json provider = {{"id", "lab"}, {"name", "Lab"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
                   {"endpoints", {{{"id", "web"}, {"url", target.url()}, {"probe", {{"interval_s", 1}}}}}}};
  ASSERT_EQ(HttpCall(b.port(), "PUT", "/v1/providers/lab", provider.dump()).status, 201);
  // Wait (bounded) until the broker's own probes have reached the server and been stored.
  json m;
  auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  std::string window = "?from=" + FormatRfc3339(now - std::chrono::hours(1)) + "&to=" + FormatRfc3339(now + std::chrono::hours(1));
  testing::Eventually([&] {
    auto r = HttpCall(b.port(), "GET", "/v1/providers/lab/metrics" + window);
    EXPECT_EQ(r.status, 200) << r.body;
    m = r.status == 200 ? json::parse(r.body) : json{{"response_ms", {{"count", 0}}}};
    return m["response_ms"]["count"].get<int>() >= 2;
  });
  EXPECT_GE(m["response_ms"]["count"].get<int>(), 2) << m.dump();
  EXPECT_GE(target.requests(), 2);
  EXPECT_EQ(m["downtime_minutes"], 0);
}

// Runs the binary with arguments; returns its exit status and its output.
std::pair<int, std::string> RunIcbroker(const std::string& args) { return testing::RunShell(std::string(ICBROKER_BIN) + " " + args); }

TEST_F(ServiceTest, OfflineSlaReportOverFiles) {
  // hanbit-cloud (demo catalog), SLA 2026.1: 99.95 % target, the seed's credit
  // tiers, fee basis the average of the last three months. November 2026,
  // probes every 60 s, one 45-minute outage: A = 99.8958 % -> 10 % credit.
  const TimePoint from = *ParseRfc3339("2026-11-01T00:00:00Z"), down = *ParseRfc3339("2026-11-10T12:00:00Z");
  json batch = {{"samples", json::array()}};
  for (int i = 0; i < 43200; ++i) {
    TimePoint t = from + std::chrono::minutes(i);
    bool ok = t < down || t >= down + std::chrono::minutes(45);
    json smp = {{"provider", "hanbit-cloud"}, {"endpoint", "api"}, {"vantage", "seoul"}, {"ts", FormatRfc3339(t)}, {"interval_s", 60}, {"ok", ok}};
    if (ok) smp["latency_ms"] = 80;
    batch["samples"].push_back(smp);
  }
  std::string samples = tmp_.path() + "/samples.json";
  std::ofstream(samples) << batch.dump();
  std::string events = tmp_.path() + "/events.json";
  std::ofstream(events) << json::array({{{"kind", "backup"}, {"at", "2026-11-02T03:00:00Z"}, {"scheduled", true}, {"ok", true}},
                                        {{"kind", "backup"}, {"at", "2026-11-03T03:00:00Z"}, {"scheduled", true}, {"ok", false}}})
                               .dump();
  auto [rc, out] = RunIcbroker("sla-report --catalog " + std::string(ICB_SOURCE_DIR) + "/deploy/demo --provider hanbit-cloud --month 2026-11 --samples " +
                               samples + " --events " + events + " --billed 1000000,1200000,1400000");
  ASSERT_EQ(rc, 0) << out;
  auto r = json::parse(out);
  EXPECT_EQ(r["sla_version"], "2026.1");
  EXPECT_NEAR(r["availability_percent"].get<double>(), 99.89583333, 1e-8);
  EXPECT_EQ(r["credit_percent"], 10);
  EXPECT_EQ(r["fee_basis_amount"], 1200000);
  EXPECT_EQ(r["credit_amount"], 120000);
  EXPECT_EQ(r["notices"].size(), 1u);
  std::map<std::string, json> criteria;
  for (const auto& c : r["criteria"]) criteria[c["name"]] = c;
  EXPECT_EQ(criteria["backup_compliance_percent"]["measured"], 50);
  EXPECT_EQ(criteria["backup_compliance_percent"]["met"], false);
  EXPECT_EQ(criteria["mttr_minutes"]["measured"], 45);
  EXPECT_EQ(criteria["mttr_minutes"]["met"], false);  // target 30 minutes

  // A bad sample deep in the file is named by its index in the file.
  batch["samples"][25000]["ok"] = "yes";
  std::ofstream(samples) << batch.dump();
  auto [bad_rc, bad_out] = RunIcbroker("sla-report --catalog " + std::string(ICB_SOURCE_DIR) + "/deploy/demo --provider hanbit-cloud --month 2026-11 --samples " + samples);
  EXPECT_EQ(bad_rc, 1);
  EXPECT_NE(bad_out.find("/samples/25000/ok"), std::string::npos) << bad_out;
}

// Tried as a new user would: all three policies rank the demo catalog with
// explanations, an inconsistent AHP matrix is refused naming its CR, the
// offline rank equals the service's, and the report comes out as HTML.
TEST_F(ServiceTest, DemoCatalogUnderEveryPolicyAndTheProcurementReport) {
  Broker b(data_, {"--demo"});
  ASSERT_TRUE(b.ready()) << b.Log();
  for (const char* policy : {"weighted_sum", "topsis", "ahp"}) {
    std::string body = std::string(R"({"profile_id":"procurement-ahp","policy":")") + policy + R"("})";
    auto r = HttpCall(b.port(), "POST", "/v1/rank", body);
    ASSERT_EQ(r.status, 200) << policy << ": " << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["policy"], policy);
    ASSERT_GE(j["ranking"].size(), 1u) << policy;
    EXPECT_NE(j["ranking"][0]["explanation"].get<std::string>().find("largest contributions"), std::string::npos);
    EXPECT_TRUE(j["ranking"][0].contains("cost"));
    if (std::string(policy) == "ahp") {
      EXPECT_EQ(j["consistency_ratio"], 0);
    }
  }
  auto bad = HttpCall(b.port(), "POST", "/v1/rank",
                      R"({"profile":{"policy":"ahp","pairwise":{"criteria":["availability","cost","reliability"],"matrix":[[1,9,0.111111],[0.111111,1,9],[9,0.111111,1]]},"cost":{"currency":"KRW"}}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("consistency ratio"), std::string::npos) << bad.body;

  // Clients that accept gzip get the large answer compressed.
  auto packed = HttpCall(b.port(), "POST", "/v1/rank", R"({"profile_id":"iaas-burst"})", "application/json", "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(packed.status, 200);
  EXPECT_EQ(packed.headers["content-encoding"], "gzip");
  ASSERT_GE(packed.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(packed.body[1]), 0x8b);

  // Offline over the same folder: the same ranking and scores.
  auto online = json::parse(HttpCall(b.port(), "POST", "/v1/rank", R"({"profile_id":"iaas-burst"})").body);
  auto [rc, out] = RunIcbroker("rank --catalog " + std::string(ICB_SOURCE_DIR) + "/deploy/demo --profile-id iaas-burst");
  ASSERT_EQ(rc, 0) << out;
  auto offline = json::parse(out);
  for (auto* j : {&online, &offline}) {
    j->erase("at");
    j->erase("catalog_version");
  }
  EXPECT_EQ(online, offline);

  auto html = HttpCall(b.port(), "POST", "/v1/compare", R"({"profile_id":"iaas-burst","format":"html"})");
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_NE(html.body.find("<svg"), std::string::npos);
  std::string path = tmp_.path() + "/report.html";
  auto [crc, cout_] = RunIcbroker("compare --catalog " + std::string(ICB_SOURCE_DIR) + "/deploy/demo --profile-id iaas-burst --format html --out " + path);
  ASSERT_EQ(crc, 0) << cout_;
  std::ifstream in(path);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(file.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(file.find("Winner: <b>nimbus-global</b>"), std::string::npos);
}

// Credentials come from a 0600 file; a provider's adapter references are
// checked when it is stored; workloads are documents like the others; no
// answer or log line ever holds a secret.
TEST_F(ServiceTest, CredentialsAdapterChecksAndWorkloadsThroughTheBinary) {
  const std::string secret = "e2e-secret-4b8d1f9a", api_key = "e2e-api-key-77c0";
  const std::string creds = tmp_.path() + "/credentials.json";
  std::ofstream(creds) << json{{"lab-s3", {{"access_key", "AK-e2e"}, {"secret_key", secret}}}, {"lab-dns", {{"api_key", api_key}}}}.dump();
  chmod(creds.c_str(), 0644);
  {
    Broker refused(data_, {"--credentials", creds});
    EXPECT_FALSE(refused.ready());
    EXPECT_NE(refused.Log().find("mode 0644"), std::string::npos) << refused.Log();
  }
  chmod(creds.c_str(), 0600);
  Broker b(data_, {"--credentials", creds});
  ASSERT_TRUE(b.ready()) << b.Log();
  const int port = b.port();
  json provider = {{"name", "Lab A"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
                   {"adapters", {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://127.0.0.1:7"}, {"timeout_s", 1}, {"attempts", 1}}}}},
                                 {"dns", {{"adapter", "powerdns"}, {"credentials", "lab-dns"},
                                          {"config", {{"api_url", "http://127.0.0.1:8081"}, {"zone", "lab."}}}}},
                                 {"object_storage", {{"adapter", "s3"}, {"credentials", "lab-s3"},
                                                     {"config", {{"endpoint", "http://127.0.0.1:9000"}, {"bucket", "lab-data"}}}}}}}};
  std::vector<testing::HttpReply> answers;
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    answers.push_back(HttpCall(port, method, path, body));
    return answers.back();
  };
  ASSERT_EQ(call("PUT", "/v1/providers/lab-a", provider.dump()).status, 201) << answers.back().body;
  // A secret in the document, an unknown credentials name, a dns adapter on object storage.
  json leaked = provider;
  leaked["adapters"]["object_storage"]["config"]["secret_key"] = secret;
  auto r = call("PUT", "/v1/providers/lab-b", leaked.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("/adapters/object_storage/config/secret_key"), std::string::npos) << r.body;
  json unknown = provider;
  unknown["adapters"]["dns"]["credentials"] = "nobody";
  EXPECT_EQ(call("PUT", "/v1/providers/lab-b", unknown.dump()).status, 400);
  EXPECT_EQ(call("GET", "/v1/providers/lab-b").status, 404);

  json workload = {{"name", "Shop"}, {"priority", 1}, {"profile_id", "kr-saas-critical"}, {"placement", {{"provider", "lab-a"}}},
                   {"service", "shop"}, {"instances", 2}, {"dns", {{"provider", "lab-a"}, {"name", "shop.lab."}}},
                   {"data", {{{"name", "db"}, {"prefix", "shop/"}}}}};
  EXPECT_EQ(call("PUT", "/v1/workloads/shop", workload.dump()).status, 404);  // the demo catalog is not loaded: no such profile
  workload["profile_id"] = "mine";
  ASSERT_EQ(call("PUT", "/v1/profiles/mine", R"({"weights":{"availability":1}})").status, 201);
  auto created = call("PUT", "/v1/workloads/shop", workload.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(call("GET", "/v1/workloads").body)["workloads"].size(), 1u);
  EXPECT_EQ(call("GET", "/v1/workloads/shop").status, 200);
  ASSERT_EQ(call("PUT", "/v1/providers/lab-c", provider.dump()).status, 201);
  json moved = workload;
  moved["placement"]["provider"] = "lab-c";
  EXPECT_EQ(call("PUT", "/v1/workloads/shop", moved.dump()).status, 409);
  // Creating it started its place operation; nothing listens at the
  // provider's compute URL, so it fails after a few tries. While it runs the
  // workload cannot be deleted.
  // The reconciler starts it asynchronously: wait for it to be recorded.
  testing::HttpReply operations;
  ASSERT_TRUE(testing::Eventually([&] {
    operations = HttpCall(port, "GET", "/v1/operations?workload=shop");
    return operations.status == 200 && !json::parse(operations.body)["operations"].empty();
  })) << operations.body;
  answers.push_back(operations);
  ASSERT_EQ(json::parse(operations.body)["operations"].size(), 1u);
  const std::string place = json::parse(operations.body)["operations"][0]["id"];
  EXPECT_EQ(json::parse(operations.body)["operations"][0]["kind"], "place");
  json ended = json::parse(call("GET", "/v1/operations/" + place).body);
  if (ended["state"] != "failed") {
    EXPECT_EQ(call("DELETE", "/v1/workloads/shop").status, 409);
  }
  EXPECT_TRUE(testing::Eventually([&] {
    ended = json::parse(call("GET", "/v1/operations/" + place).body);
    return ended["state"] == "failed";
  }));
  ASSERT_EQ(ended["state"], "failed") << ended.dump();
  EXPECT_NE(ended["reason"].get<std::string>().find("ensure_capacity"), std::string::npos) << ended.dump();
  EXPECT_EQ(json::parse(call("GET", "/v1/workloads/shop").body)["state"], "degraded");
  EXPECT_EQ(call("DELETE", "/v1/workloads/shop").status, 204);
  EXPECT_EQ(call("DELETE", "/v1/workloads/shop").status, 404);
  EXPECT_EQ(call("GET", "/v1/operations/none").status, 404);
  EXPECT_EQ(call("GET", "/v1/operations?state=exploded").status, 400);
  // The orchestration routes' answers, checked against the OpenAPI
  // description by the contract test.
  auto trail = call("GET", "/v1/events?workload=shop");
  EXPECT_EQ(trail.status, 200);
  EXPECT_GE(json::parse(trail.body)["events"].size(), 2u);  // the place's steps
  EXPECT_EQ(call("GET", "/v1/events?kind=nope").status, 400);
  EXPECT_EQ(call("POST", "/v1/workloads/shop/failover").status, 404);  // deleted above
  EXPECT_EQ(call("POST", "/v1/workloads/shop/failover", R"({"to": "Not An Id"})").status, 400);
  EXPECT_EQ(call("POST", "/v1/workloads/shop/samples", R"({"vantage": "seoul", "samples": [{"ts": "2026-01-01T00:00:00Z", "ok": true}]})").status, 404);
  EXPECT_EQ(call("POST", "/v1/workloads/shop/samples", R"({"vantage": "seoul"})").status, 400);
  EXPECT_EQ(call("POST", "/v1/operations/" + place + "/cancel").status, 409);  // it has ended
  EXPECT_EQ(call("POST", "/v1/operations/none/cancel").status, 404);
  answers.push_back(HttpCall(port, "GET", "/v1/providers/lab-a"));
  b.Kill(SIGTERM);
  for (const auto& a : answers) {
    EXPECT_EQ(a.body.find(secret), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find(api_key), std::string::npos) << a.body;
  }
  const std::string log = b.Log();
  EXPECT_EQ(log.find(secret), std::string::npos);
  EXPECT_EQ(log.find(api_key), std::string::npos);
}

// Credentials kept through the admin routes are sealed in the store (the
// data directory never holds a value), shown by name and field names only,
// and survive a key rotation: the new key first (resealed at start), then
// the old one dropped. A key dropped too early is named, never guessed past.
TEST_F(ServiceTest, CredentialsKeptSealedThroughTheBinaryAndTheirKeyRotated) {
  const std::string secret = "e2e-sealed-secret-5c2a90d1", access = "AK-e2e-sealed-61f0";
  const std::string k1 = "k1 " + std::string(64, 'a') + "\n", k2 = "k2 " + std::string(64, 'b') + "\n", k3 = "k3 " + std::string(64, 'c') + "\n";
  const std::string ring = tmp_.path() + "/secrets.key";
  auto write_ring = [&](const std::string& text, mode_t mode = 0600) {
    std::ofstream(ring, std::ios::trunc) << text;
    chmod(ring.c_str(), mode);
  };
  std::vector<testing::HttpReply> answers;
  std::string logs;
  auto call = [&](int port, const std::string& method, const std::string& path, const std::string& body = "") {
    answers.push_back(HttpCall(port, method, path, body));
    return answers.back();
  };
  auto provider = [](const std::string& credentials) {
    return json{{"name", "Lab"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
                {"adapters", {{"object_storage", {{"adapter", "s3"}, {"credentials", credentials},
                                                  {"config", {{"endpoint", "http://127.0.0.1:9000"}, {"bucket", "lab-data"}}}}}}}}
        .dump();
  };
  const std::string fields = json{{"access_key", access}, {"secret_key", secret}}.dump();

  write_ring(k1, 0644);
  {
    Broker refused(data_, {"--secrets-key", ring});
    EXPECT_FALSE(refused.ready());
    EXPECT_NE(refused.Log().find("mode 0644"), std::string::npos) << refused.Log();
  }
  write_ring(k1);
  {
    Broker b(data_, {"--secrets-key", ring});
    ASSERT_TRUE(b.ready()) << b.Log();
    const int port = b.port();
    auto put = call(port, "PUT", "/v1/credentials/lab-s3", fields);
    ASSERT_EQ(put.status, 201) << put.body;
    EXPECT_EQ(json::parse(put.body), (json{{"name", "lab-s3"}, {"source", "store"}, {"fields", {"access_key", "secret_key"}},
                                          {"updated_at", json::parse(put.body)["updated_at"]}, {"key_id", "k1"}}));
    EXPECT_EQ(call(port, "PUT", "/v1/credentials/lab-s3", fields).status, 200);
    EXPECT_EQ(call(port, "PUT", "/v1/providers/lab-a", provider("lab-s3")).status, 201);
    // What would break lab-a's adapter, and deleting what it names: 409.
    auto half = call(port, "PUT", "/v1/credentials/lab-s3", json{{"access_key", access}}.dump());
    EXPECT_EQ(half.status, 409);
    EXPECT_NE(half.body.find("provider lab-a"), std::string::npos) << half.body;
    EXPECT_EQ(call(port, "DELETE", "/v1/credentials/lab-s3").status, 409);
    EXPECT_EQ(call(port, "PUT", "/v1/credentials/lab-s3", R"({"secret_key": {"nested": "x"}})").status, 400);
    EXPECT_EQ(call(port, "GET", "/v1/credentials/nobody").status, 404);
    auto listed = call(port, "GET", "/v1/credentials");
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(json::parse(listed.body)["credentials"].size(), 1u);
    auto events = call(port, "GET", "/v1/events?kind=credential_put");
    ASSERT_EQ(json::parse(events.body)["events"].size(), 2u) << events.body;
    EXPECT_EQ(json::parse(events.body)["events"][0]["inputs"]["fields"], json({"access_key", "secret_key"}));
    // A throwaway one, deleted.
    EXPECT_EQ(call(port, "PUT", "/v1/credentials/spare", R"({"token": "spare-token-value"})").status, 201);
    EXPECT_EQ(call(port, "DELETE", "/v1/credentials/spare").status, 200);
    EXPECT_EQ(call(port, "GET", "/v1/credentials/spare").status, 404);
    b.Kill(SIGTERM);
    logs += b.Log();
  }
  // What the store wrote to disk holds names, never a value.
  std::string on_disk;
  for (const auto& f : std::filesystem::recursive_directory_iterator(data_))
    if (f.is_regular_file()) {
      std::ifstream in(f.path(), std::ios::binary);
      on_disk += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  EXPECT_NE(on_disk.find("lab-s3"), std::string::npos);
  EXPECT_NE(on_disk.find("icbseal1.k1."), std::string::npos);
  EXPECT_EQ(on_disk.find(secret), std::string::npos);
  EXPECT_EQ(on_disk.find(access), std::string::npos);

  // Rotation, step 1: the new key first, the old kept; resealed at start.
  write_ring(k2 + k1);
  {
    Broker b(data_, {"--secrets-key", ring});
    ASSERT_TRUE(b.ready()) << b.Log();
    EXPECT_NE(b.Log().find("credentials kept sealed: 1 (1 resealed with key k2)"), std::string::npos) << b.Log();
    EXPECT_EQ(json::parse(call(b.port(), "GET", "/v1/credentials/lab-s3").body)["key_id"], "k2");
    b.Kill(SIGTERM);
    logs += b.Log();
  }
  // Step 2: the old key dropped; the credential opens (a provider naming it is checked against its fields).
  write_ring(k2);
  {
    Broker b(data_, {"--secrets-key", ring});
    ASSERT_TRUE(b.ready()) << b.Log();
    EXPECT_NE(b.Log().find("credentials kept sealed: 1 (0 resealed with key k2)"), std::string::npos) << b.Log();
    EXPECT_EQ(call(b.port(), "PUT", "/v1/providers/lab-b", provider("lab-s3")).status, 201);
    b.Kill(SIGTERM);
    logs += b.Log();
  }
  // A ring without the key it was sealed with: named at start, refused when used.
  write_ring(k3);
  {
    Broker b(data_, {"--secrets-key", ring});
    ASSERT_TRUE(b.ready()) << b.Log();
    EXPECT_NE(b.Log().find("credentials that do not open, adapters naming them fail until put again: lab-s3"), std::string::npos) << b.Log();
    auto refused = call(b.port(), "PUT", "/v1/providers/lab-c", provider("lab-s3"));
    EXPECT_EQ(refused.status, 409) << refused.body;
    EXPECT_NE(refused.body.find("k2"), std::string::npos) << refused.body;
    b.Kill(SIGTERM);
    logs += b.Log();
  }
  // No key ring at all: nothing is kept, and the log says what cannot open.
  {
    Broker b(data_);
    ASSERT_TRUE(b.ready()) << b.Log();
    EXPECT_NE(b.Log().find("credentials kept sealed: 1, and no --secrets-key"), std::string::npos) << b.Log();
    EXPECT_EQ(call(b.port(), "PUT", "/v1/credentials/other", fields).status, 409);
    EXPECT_EQ(json::parse(call(b.port(), "GET", "/v1/credentials").body)["credentials"].size(), 0u);
    b.Kill(SIGTERM);
    logs += b.Log();
  }
  for (const auto& a : answers) {
    EXPECT_EQ(a.body.find(secret), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find(access), std::string::npos) << a.body;
    EXPECT_EQ(a.body.find("spare-token-value"), std::string::npos) << a.body;
  }
  EXPECT_EQ(logs.find(secret), std::string::npos);
  EXPECT_EQ(logs.find(access), std::string::npos);
  EXPECT_EQ(logs.find(std::string(64, 'a')), std::string::npos);  // nor a key
}

TEST_F(ServiceTest, MigratesBetweenFolderStoresVerifiedAndTheCliFollowsIt) {
  // Two providers whose object storage is a local folder (the `file`
  // adapter): a real migration with no server, through the binary. The
  // broker may use only the folders --file-roots names.
  const std::string from = tmp_.path() + "/from", to = tmp_.path() + "/to", outside = tmp_.path() + "/outside";
  std::filesystem::create_directories(from + "/docs/sub");
  std::filesystem::create_directories(to);
  std::filesystem::create_directories(outside);
  std::filesystem::create_directory_symlink(outside, to + "/escape");  // inside a root, leading out of it
  Broker b(data_, {"--file-roots", from + "," + to});
  ASSERT_TRUE(b.ready()) << b.Log();
  const int port = b.port();
  std::map<std::string, std::string> files = {{"docs/a.txt", "alpha"}, {"docs/sub/b.bin", std::string(3 << 20, 'b')}, {"docs/empty", ""}};
  for (const auto& [k, v] : files) std::ofstream(from + "/" + k, std::ios::binary) << v;
  for (const auto& [id, dir] : {std::pair{"disk-a", from}, std::pair{"disk-b", to}, std::pair{"disk-out", outside}, std::pair{"disk-link", to + "/escape"}}) {
    json p = {{"name", id}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
              {"adapters", {{"object_storage", {{"adapter", "file"}, {"config", {{"path", dir}}}}}}}};
    ASSERT_EQ(HttpCall(port, "PUT", std::string("/v1/providers/") + id, p.dump()).status, 201);
  }
  // Refused at their pointers (checked against the OpenAPI by the contract test).
  EXPECT_EQ(HttpCall(port, "POST", "/v1/migrations", R"({"source": {"provider": "nope"}, "target": {"provider": "disk-b"}})").status, 404);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/migrations", R"({"source": {"provider": "disk-a"}})").status, 400);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/migrations", R"({"source": {"provider": "disk-a", "prefix": "d"}, "target": {"provider": "disk-a", "prefix": "docs/x"}})").status, 400);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/workloads/none/migrations", R"({"to": "disk-b"})").status, 404);
  // The command line starts it and follows it to its end.
  const std::string broker = " --broker http://127.0.0.1:" + std::to_string(port);
  auto [rc, out] = RunIcbroker("migrate" + broker + " --from disk-a:docs/ --to disk-b:copy/ --key e2e-1");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("step copy succeeded"), std::string::npos) << out;
  EXPECT_NE(out.find("succeeded: 3 objects"), std::string::npos) << out;
  for (const auto& [k, v] : files) {
    std::ifstream in(to + "/copy/" + k.substr(5), std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, v) << k;
  }
  const std::string id = out.substr(out.find("operation ") + 10, out.find('\n') - 10);
  auto op = HttpCall(port, "GET", "/v1/operations/" + id);
  ASSERT_EQ(op.status, 200) << id;
  EXPECT_EQ(json::parse(op.body)["progress"]["objects_done"], 3);
  // The same key again: the same operation, nothing copied again.
  auto [rc2, out2] = RunIcbroker("migrate" + broker + " --from disk-a:docs/ --to disk-b:copy/ --key e2e-1 --detach");
  EXPECT_EQ(rc2, 0);
  EXPECT_NE(out2.find(id), std::string::npos) << out2;
  // Refused: exit 1 with the pointer; usage: exit 2.
  auto [rc3, out3] = RunIcbroker("migrate" + broker + " --from nope --to disk-b");
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find("/source/provider"), std::string::npos) << out3;
  EXPECT_EQ(RunIcbroker("migrate --to disk-b").first, 2);
  // A prefix that holds nothing (mistyped): said, and exit 1 unless allowed.
  auto [rc4, out4] = RunIcbroker("migrate" + broker + " --from disk-a:dcos/ --to disk-b:empty/");
  EXPECT_EQ(rc4, 1) << out4;
  EXPECT_NE(out4.find("the source held no objects"), std::string::npos) << out4;
  EXPECT_EQ(RunIcbroker("migrate" + broker + " --from disk-a:dcos/ --to disk-b:empty2/ --allow-empty").first, 0);
  // Outside the roots, also through a link inside one: refused, nothing written.
  for (const char* target : {"disk-out", "disk-link"}) {
    auto [rc5, out5] = RunIcbroker("migrate" + broker + " --from disk-a:docs/ --to " + target + ":copy/");
    EXPECT_NE(rc5, 0) << out5;
    EXPECT_NE(out5.find("outside --file-roots"), std::string::npos) << out5;
  }
  EXPECT_TRUE(std::filesystem::is_empty(outside));
}

// Redis stopped (SIGSTOP) under the running broker: every route that
// needs it answers a 503 problem instead of waiting, none hangs, and the
// broker answers again once Redis runs; Redis killed: the broker restarts
// its embedded server and what was acknowledged is there. Latencies are
// printed (the store's timeouts bound them), not asserted.
TEST_F(ServiceTest, RedisStoppedOrKilledGivesA503NeverAHang) {
  Broker b(data_, {"--demo"});
  ASSERT_TRUE(b.ready()) << b.Log();
  const int port = b.port();
  ASSERT_EQ(HttpCall(port, "PUT", "/v1/profiles/acked", R"({"weights":{"availability":1}})").status, 201);
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"GET", "/v1/providers"}, {"GET", "/v1/profiles"},   {"GET", "/v1/workloads"}, {"GET", "/v1/operations"},
      {"GET", "/v1/events"},    {"GET", "/v1/keys"},       {"GET", "/v1/profiles/acked"}, {"PUT", "/v1/profiles/during"}};
  auto round = [&](const char* what, std::vector<int> allowed) {
    long long worst = 0;
    for (const auto& [method, path] : calls) {
      const auto start = std::chrono::steady_clock::now();
      const std::string body = method == "PUT" ? R"({"weights":{"availability":1}})" : "";
      auto r = HttpCall(port, method, path, body);
      worst = std::max<long long>(worst, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), r.status), allowed.end()) << what << " " << method << " " << path << " -> " << r.status << " " << r.body;
      if (r.status == 503) {
        EXPECT_EQ(r.headers["content-type"], "application/problem+json") << path;
      }
    }
    std::printf("%s: %zu routes, slowest answer %lld ms\n", what, calls.size(), worst);
  };
  const pid_t redis = b.RedisPid();
  ASSERT_GT(redis, 0);
  ASSERT_EQ(kill(redis, SIGSTOP), 0);
  round("Redis stopped", {503});
  round("Redis still stopped", {503});
  ASSERT_EQ(kill(redis, SIGCONT), 0);
  const auto resumed = std::chrono::steady_clock::now();
  EXPECT_TRUE(testing::Eventually([&] { return HttpCall(port, "GET", "/v1/profiles/acked").status == 200; }));
  std::printf("answering again %lld ms after SIGCONT\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - resumed).count()));
  // Killed: until the broker's supervisor has it back, 503s (or answers); then what was acknowledged.
  ASSERT_EQ(kill(redis, SIGKILL), 0);
  round("Redis killed", {200, 201, 202, 400, 503});
  EXPECT_TRUE(testing::Eventually([&] { return HttpCall(port, "GET", "/v1/profiles/acked").status == 200; })) << b.Log();
  EXPECT_TRUE(testing::Eventually([&] { return b.RedisPid() != redis; })) << b.Log();  // the restart is logged
  EXPECT_NE(b.Log().find("restarted: the last one was killed by signal 9"), std::string::npos) << b.Log();
  const int during = HttpCall(port, "GET", "/v1/profiles/during").status;  // written only if its PUT got through
  EXPECT_TRUE(during == 200 || during == 404) << during;
}

TEST_F(ServiceTest, SigtermStopsBrokerAndRedisCleanly) {
  Broker b(data_);
  ASSERT_TRUE(b.ready()) << b.Log();
  pid_t redis = b.RedisPid();
  b.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(b.exit_status()) && WEXITSTATUS(b.exit_status()) == 0) << "wait status " << b.exit_status() << "\n" << b.Log();
  EXPECT_TRUE(Exits(redis));
}

TEST_F(ServiceTest, SecondBrokerOnTheSameDataDirIsRefused) {
  Broker first(data_);
  ASSERT_TRUE(first.ready()) << first.Log();
  Broker second(data_);
  EXPECT_FALSE(second.ready());
  EXPECT_TRUE(WIFEXITED(second.exit_status()) && WEXITSTATUS(second.exit_status()) == 1);
  EXPECT_NE(second.Log().find("is in use by another icbroker"), std::string::npos) << second.Log();
  EXPECT_EQ(HttpCall(first.port(), "GET", "/v1/health").status, 200);
}

}  // namespace
}  // namespace icb

namespace icb {
namespace {

// A TCP connection to the broker on loopback, for what HttpCall cannot send.
int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes` (best effort: the broker may close early) and reads the
// answer until the broker closes or `timeout` passes.
std::string Exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  int fd = Connect(port);
  if (fd < 0) return "";
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::string StatusLine(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }

class ServerLimits : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(ServerLimits, OversizedHeadersAndRequestLinesAreRefusedAndChangeNothing) {
  Broker b(dir_.path() + "/data");
  ASSERT_TRUE(b.ready()) << b.Log();
  std::string big_header = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n";
  std::string answer = Exchange(b.port(), big_header);
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_NE(answer.find("urn:icbroker:problem:request-header-too-large"), std::string::npos) << answer;
  // A 64 MiB header is refused after the first 16 KiB, not read whole.
  std::string huge = "GET /v1/health HTTP/1.1\r\nX-Big: " + std::string(64 << 20, 'a');
  EXPECT_EQ(StatusLine(Exchange(b.port(), huge)), "HTTP/1.1 431 Request Header Fields Too Large");
  std::string long_line = "GET /v1/" + std::string(20000, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(StatusLine(Exchange(b.port(), long_line)), "HTTP/1.1 414 URI Too Long");
  std::string long_target = "GET /v1/providers?x=" + std::string(9000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(StatusLine(Exchange(b.port(), long_target)), "HTTP/1.1 414 URI Too Long");
  answer = Exchange(b.port(), "GET /v1/health?a=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 400 Bad Request");
  EXPECT_NE(answer.find("two hex digits"), std::string::npos) << answer;
  EXPECT_EQ(StatusLine(Exchange(b.port(), "BLAH\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  // A deep document and a long string under a format: 400, and the broker stays up.
  std::string deep = std::string(400000, '[') + std::string(400000, ']');
  EXPECT_EQ(HttpCall(b.port(), "PUT", "/v1/providers/x", deep).status, 400);
  json event = {{"kind", "incident"}, {"start", "2030-01-01T00:00:00." + std::string(30000, '0') + "Z"}, {"summary", "x"}};
  EXPECT_EQ(HttpCall(b.port(), "POST", "/v1/providers/hanbit-cloud/events", event.dump()).status, 404);  // no such provider here
  EXPECT_EQ(HttpCall(b.port(), "GET", "/v1/health").status, 200);
  EXPECT_EQ(json::parse(HttpCall(b.port(), "GET", "/v1/providers").body)["providers"].size(), 0u);
}

TEST_F(ServerLimits, SlowHeadersTimeOutAndIdleConnectionsDoNotStarveOthers) {
  // 1,024 descriptors, as a systemd service gets by default.
  Broker b(dir_.path() + "/data", {"--header-timeout-ms", "500", "--idle-timeout-ms", "60000"}, 1024);
  ASSERT_TRUE(b.ready()) << b.Log();
  // A header that never ends is closed once its time is up (well before
  // Exchange's own 10 s), and so is a connection that never sends anything.
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(Exchange(b.port(), "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(9));
  // 1,100 idle connections, more than the broker has descriptors for.
  rlimit ours{};
  getrlimit(RLIMIT_NOFILE, &ours);
  ASSERT_GE(ours.rlim_max, 1300u) << "the test itself needs descriptors for 1,100 connections";
  rlimit raised{ours.rlim_max, ours.rlim_max};
  setrlimit(RLIMIT_NOFILE, &raised);
  std::vector<int> idle;
  for (int i = 0; i < 1100; ++i) {
    int fd = Connect(b.port());
    if (fd >= 0) idle.push_back(fd);
  }
  EXPECT_EQ(idle.size(), 1100u);
  // New clients are still served, again and again, while the idle ones wait.
  for (int i = 0; i < 20; ++i) {
    auto r = HttpCall(b.port(), "GET", "/v1/health");
    EXPECT_EQ(r.status, 200) << "try " << i;
  }
  for (int fd : idle) close(fd);
  EXPECT_EQ(HttpCall(b.port(), "GET", "/v1/health").status, 200);
  EXPECT_EQ(b.Log().find("Too many open files"), std::string::npos);
  setrlimit(RLIMIT_NOFILE, &ours);
}

}  // namespace
}  // namespace icb
