// The SSRF guard through the binary: a broker that may reach only
// 127.0.0.1 is pointed, by a provider document and a workload, at
// 127.0.0.2 (another loopback address, where a listener counts every
// connection) in every form: literal, decimal, IPv4-mapped IPv6, tcp://,
// an adapter's endpoint, and a redirect from an allowed server. None
// reaches it. (Metadata and private forms are checked at the connect seam
// in tests/unit/core/network_policy_test.cc: nothing here leaves loopback.)
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "tests/support/broker_process.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/http_stub.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;
using testing::HttpCall;

TEST(NetworkGuard, NothingTheDocumentsNameReachesADeniedAddress) {
  testing::TempDir tmp;
  testing::StubHttpServer denied("127.0.0.2");  // counts connections
  testing::StubHttpServer allowed;                // 127.0.0.1: probed, and answers with a redirect to the denied one
  const std::string port = std::to_string(denied.port());
  allowed.Answer(302, "", "Location: " + denied.url("/metadata") + "\r\n");
  const std::string creds = tmp.path() + "/credentials.json";
  std::ofstream(creds) << json{{"lab-dns", {{"api_key", "k"}}}}.dump();
  chmod(creds.c_str(), 0600);
  testing::BrokerProcess b({"--data-dir", tmp.path() + "/data", "--allow-networks", "127.0.0.1/32", "--probe", "--vantage", "e2e", "--credentials", creds},
                           tmp.path() + "/broker.log");
  ASSERT_TRUE(b.Start()) << b.Log();
  EXPECT_NE(b.Log().find("loopback and private networks allowed 127.0.0.1/32"), std::string::npos) << b.Log();

  auto endpoint = [](const std::string& id, const std::string& url) { return json{{"id", id}, {"url", url}, {"probe", {{"interval_s", 1}}}}; };
  const json provider = {
      {"name", "Guarded"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}},
      {"endpoints", {endpoint("literal", denied.url()), endpoint("decimal", "http://2130706434:" + port + "/health"),
                     endpoint("mapped", "http://[::ffff:127.0.0.2]:" + port + "/health"), endpoint("tcp", "tcp://127.0.0.2:" + port),
                     endpoint("redirected", allowed.url())}},
      {"adapters", {{"compute", {{"adapter", "sim_compute"}, {"config", {{"url", "http://127.0.0.2:" + port}, {"timeout_s", 1}, {"attempts", 1}}}}},
                    {"dns", {{"adapter", "powerdns"}, {"credentials", "lab-dns"}, {"config", {{"api_url", "http://127.0.0.2:" + port}, {"zone", "lab."}}}}}}}};
  ASSERT_EQ(HttpCall(b.port(), "PUT", "/v1/providers/guarded", provider.dump()).status, 201);
  ASSERT_EQ(HttpCall(b.port(), "PUT", "/v1/profiles/mine", R"({"weights":{"availability":1}})").status, 201);
  const json workload = {{"name", "Shop"}, {"priority", 1}, {"profile_id", "mine"}, {"placement", {{"provider", "guarded"}}},
                         {"service", "shop"}, {"instances", 1}, {"dns", {{"provider", "guarded"}, {"name", "shop.lab."}}}};
  ASSERT_EQ(HttpCall(b.port(), "PUT", "/v1/workloads/shop", workload.dump()).status, 201);

  // The workload's placement acts through the adapters: it fails without a call.
  json place;
  EXPECT_TRUE(testing::Eventually([&] {
    auto r = HttpCall(b.port(), "GET", "/v1/operations?workload=shop");
    if (r.status != 200 || json::parse(r.body)["operations"].empty()) return false;
    place = json::parse(r.body)["operations"][0];
    return place["state"] == "failed";
  })) << place.dump();
  // The probes have run several rounds (the allowed server counts them).
  EXPECT_TRUE(testing::Eventually([&] { return allowed.requests() >= 3; })) << allowed.requests();
  auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  auto metrics = HttpCall(b.port(), "GET", "/v1/providers/guarded/metrics?from=" + FormatRfc3339(now - std::chrono::hours(1)) + "&to=" +
                                               FormatRfc3339(now + std::chrono::hours(1)));
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(denied.connections(), 0);
  EXPECT_EQ(denied.requests(), 0);
  b.Kill(SIGTERM);
}

}  // namespace
}  // namespace icb
