// The lab as a new user runs it (deploy/lab/lab up/down), and the DNS,
// load-balancer and compute adapters against its servers: PowerDNS checked
// with dig, HAProxy by counting where requests land, the simulated provider
// by its quota and capacity.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <future>
#include <map>

#include <nlohmann/json.hpp>

#include "broker/core/call_epoch.h"
#include "broker/ports/copy.h"
#include "broker/qos/asio_probe_runner.h"
#include "tests/support/child_process.h"
#include "tests/support/lab_adapters.h"
#include "tests/lab/lab_fixture.h"
#include "tests/support/adapter_conformance.h"
#include "tests/support/objects.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

using nlohmann::json;

using testing::RunShell;
const auto Shell = RunShell;

[[maybe_unused]] auto* const kLabEnvironment = ::testing::AddGlobalTestEnvironment(new LabEnvironment);


class LabTest : public LabFixture {
 protected:
  testing::LabAdapters adapters_;
};


TEST_F(LabTest, DnsChangesAreServedToDig) {
  const json& dns = (*lab_)["dns"];
  auto sw = adapters_.Create<DnsSwitch>("powerdns", {{"api_url", dns["api_url"]}, {"api_key", dns["api_key"]}, {"zone", dns["zone"]}});
  ASSERT_TRUE(sw.ok()) << sw.status().ToString();
  DnsSwitch& d = **sw;
  ASSERT_TRUE(d.Replace({"www.lab.example.", "A", 30, {"192.0.2.10"}, {}}).ok());
  EXPECT_EQ(Dig("www.lab.example.", "A"), "192.0.2.10");
  // Fail over: both addresses of the new provider, in one replacement.
  ASSERT_TRUE(d.Replace({"www.lab.example.", "A", 20, {"198.51.100.7", "198.51.100.8"}, {}}).ok());
  EXPECT_EQ(Dig("www.lab.example.", "A"), "198.51.100.7\n198.51.100.8");
  auto got = d.Get("www.lab.example.", "A");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->ttl, 20);
  EXPECT_EQ((*got)->contents.size(), 2u);
  ASSERT_TRUE(d.Replace({"app.lab.example.", "CNAME", 30, {"www.lab.example."}, {}}).ok());
  EXPECT_EQ(Dig("app.lab.example.", "CNAME"), "www.lab.example.");
  // A bad record is refused before anything is sent: the old answer stands.
  EXPECT_EQ(d.Replace({"www.lab.example.", "A", 30, {"not-an-address"}, {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Dig("www.lab.example.", "A"), "198.51.100.7\n198.51.100.8");
  ASSERT_TRUE(d.Delete("app.lab.example.", "CNAME").ok());
  EXPECT_EQ(Dig("app.lab.example.", "CNAME"), "");
  EXPECT_FALSE(d.Get("app.lab.example.", "CNAME")->has_value());

  auto wrong = adapters_.Create<DnsSwitch>("powerdns", {{"api_url", dns["api_url"]}, {"api_key", "wrong-key-123"}, {"zone", dns["zone"]}, {"attempts", 1}});
  Status denied = (*wrong)->Replace({"www.lab.example.", "A", 30, {"192.0.2.99"}, {}});
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied) << denied.ToString();
  EXPECT_EQ(denied.ToString().find("wrong-key-123"), std::string::npos);
}

std::map<std::string, int> CountLandings(const std::string& url, int requests) {
  auto http = NewCpprestHttpClient();
  std::map<std::string, int> seen;
  for (int i = 0; i < requests; ++i) {
    auto r = http->Get(url, Millis(5000));
    if (!r.ok() || r->status != 200) {
      ++seen["(failed)"];
      continue;
    }
    std::string who = r->body;
    while (!who.empty() && who.back() == '\n') who.pop_back();
    ++seen[who];
  }
  return seen;
}

// Each audience its own answer: PowerDNS answers a record with views by the
// client subnet a resolver forwards (dig +subnet), everyone else the
// record's own answer.
TEST_F(LabTest, PowerDnsAnswersEachClientNetworkItsView) {
  const json& config = (*lab_)["dns"];
  auto made = adapters_.Create<DnsSwitch>("powerdns", {{"api_url", config["api_url"]}, {"api_key", config["api_key"]}, {"zone", config["zone"]}});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto& dns = *made;
  ASSERT_TRUE(dns->Replace({"travel.lab.example.", "A", 5, {"127.0.0.11"},
                            {{{"203.0.113.0/24"}, {"127.0.0.12"}}, {{"198.51.100.0/24", "2001:db8::/32"}, {"127.0.0.13"}}}})
                  .ok());
  auto dig = [&](const std::string& subnet) {
    auto [rc, out] = testing::RunShell("dig +short +norecurse +time=1 +tries=2 @127.0.0.1 -p " + std::to_string((*lab_)["dns"]["port"].get<int>()) +
                                       " travel.lab.example. A" + (subnet.empty() ? "" : " +subnet=" + subnet));
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  };
  EXPECT_EQ(dig("203.0.113.0/24"), "127.0.0.12");
  EXPECT_EQ(dig("203.0.113.77/32"), "127.0.0.12");
  EXPECT_EQ(dig("198.51.100.0/24"), "127.0.0.13");
  EXPECT_EQ(dig("2001:db8:5::/48"), "127.0.0.13");
  EXPECT_EQ(dig("192.0.2.0/24"), "127.0.0.11");  // in no view
  EXPECT_EQ(dig(""), "127.0.0.11");              // the resolver itself (loopback): in no view
  // Back to one answer for everyone.
  ASSERT_TRUE(dns->Replace({"travel.lab.example.", "A", 5, {"127.0.0.12"}, {}}).ok());
  EXPECT_EQ(dig("203.0.113.0/24"), "127.0.0.12");
  EXPECT_EQ(dig("198.51.100.0/24"), "127.0.0.12");
}

TEST_F(LabTest, HaproxySplitsTrafficInTheWeightsSet) {
  const json& h = (*lab_)["haproxy"];
  auto split = adapters_.Create<TrafficSplit>("haproxy", {{"runtime_socket", h["runtime_socket"]}, {"backend", h["backend"]}});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  TrafficSplit& s = **split;
  ASSERT_TRUE(s.SetWeights({{"sim-a", 3}, {"sim-b", 1}, {"sim-c", 0}}).ok());
  auto servers = s.Servers();
  ASSERT_TRUE(servers.ok()) << servers.status().ToString();
  std::map<std::string, int> weights;
  for (const auto& srv : *servers) weights[srv.name] = srv.weight;
  EXPECT_EQ(weights, (std::map<std::string, int>{{"sim-a", 3}, {"sim-b", 1}, {"sim-c", 0}}));
  auto seen = CountLandings(h["frontend_url"], 400);
  // Weighted round robin: 3 of every 4 requests to sim-a.
  EXPECT_NEAR(seen["sim-a"], 300, 8);
  EXPECT_NEAR(seen["sim-b"], 100, 8);
  EXPECT_EQ(seen.count("(failed)"), 0u);
  // Drain sim-a entirely: everything lands on sim-b.
  ASSERT_TRUE(s.SetState("sim-a", "maint").ok());
  seen = CountLandings(h["frontend_url"], 50);
  EXPECT_EQ(seen["sim-b"], 50);
  ASSERT_TRUE(s.SetState("sim-a", "ready").ok());
  ASSERT_TRUE(s.SetWeights({{"sim-a", 1}, {"sim-b", 1}, {"sim-c", 1}}).ok());
  EXPECT_EQ(s.SetWeights({{"nobody", 1}}).errors().at(0).pointer, "/weights/nobody");
}

TEST_F(LabTest, CopiesFromS3ToAzureThroughTheAdapters) {
  const json& s3 = (*lab_)["s3"];
  const json& az = (*lab_)["azure_blob"];
  auto from = adapters_.Create<ObjectStore>("s3", {{"endpoint", s3["endpoint"]}, {"bucket", "copy-src"}, {"access_key", s3["access_key"]},
                                                   {"secret_key", s3["secret_key"]}, {"multipart_threshold_mib", 5}, {"part_size_mib", 5}});
  auto to = adapters_.Create<ObjectStore>("azure_blob", {{"endpoint", az["endpoint"]}, {"account", az["account"]}, {"key", az["key"]},
                                                         {"container", "copy-dst"}, {"block_threshold_mib", 4}, {"block_size_mib", 2}});
  ASSERT_TRUE(from.ok() && to.ok());
  ASSERT_TRUE((*from)->EnsureContainer().ok());
  ASSERT_TRUE((*to)->EnsureContainer().ok());
  std::map<std::string, std::string> objects = {{"set/empty", ""}, {"set/small file+1.txt", "hello"}, {"set/big.bin", RandomBytes(12 << 20, 11)}};
  for (const auto& [key, data] : objects) ASSERT_TRUE(PutString(**from, key, data).ok()) << key;
  auto r = CopyPrefix(**from, "set/", **to, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->objects, 3u);
  for (const auto& [key, data] : objects) {
    auto back = ReadAll(**to, key);
    ASSERT_TRUE(back.ok()) << key << ": " << back.status().ToString();
    EXPECT_TRUE(*back == data) << key;
  }
}

TEST_F(LabTest, SimulatedComputeHonoursQuotaAndCapacityAndRecordsKeys) {
  const json& sim = (*lab_)["compute"][0];
  const std::string url = sim["url"].get<std::string>();
  auto c = adapters_.Create<ComputeProvider>("sim_compute", {{"url", url}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ComputeProvider& compute = **c;
  auto deployed = compute.Deploy("web", "dep-1");
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  // Each provider serves on its own loopback address, named in lab.json.
  EXPECT_EQ(deployed->url, url + "/");
  EXPECT_NE(url.find(sim["address"].get<std::string>()), std::string::npos);
  ASSERT_TRUE(compute.Scale("web", 5, "scale-1").ok());
  EXPECT_EQ(compute.State()->Find("web")->instances, 5);
  EXPECT_EQ(compute.Scale("web", 25, "scale-2").code(), StatusCode::kResourceExhausted);  // quota 20
  auto http = NewCpprestHttpClient();
  auto steer = http->Send({"PUT", url + "/v1/state", {{"Content-Type", "application/json"}}, R"({"capacity": 3})", Millis(5000)});
  ASSERT_TRUE(steer.ok() && steer->status == 200);
  EXPECT_EQ(compute.Scale("web", 4, "scale-3").code(), StatusCode::kFailedPrecondition);  // capacity 3
  EXPECT_EQ(compute.State()->used, 5);                                                  // refused scaling changed nothing
  steer = http->Send({"PUT", url + "/v1/state", {{"Content-Type", "application/json"}}, R"({"capacity": 100})", Millis(5000)});
  ASSERT_TRUE(steer.ok() && steer->status == 200);
  ASSERT_TRUE(compute.Scale("web", 5, "scale-4").ok());  // already 5: no effect
  auto targets = compute.ProbeTargets();
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].service, "web");
  auto served = http->Get((*targets)[0].url, Millis(5000));  // the probe target answers
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->body, "sim-a\n");
  // Every accepted call is recorded with the key the adapter sent.
  auto calls = http->Get(url + "/v1/calls", Millis(5000));
  ASSERT_TRUE(calls.ok());
  const json recorded = json::parse(calls->body)["calls"];
  ASSERT_EQ(recorded.size(), 3u);
  EXPECT_EQ(recorded[0]["idempotency_key"], "dep-1");
  EXPECT_EQ(recorded[1]["idempotency_key"], "scale-1");
  EXPECT_TRUE(recorded[1]["effect"].get<bool>());
  EXPECT_EQ(recorded[2]["idempotency_key"], "scale-4");
  EXPECT_FALSE(recorded[2]["effect"].get<bool>());
  ASSERT_TRUE(compute.Scale("web", 0, "scale-5").ok());
}

// Calls made under a lease carry its epoch (CallEpoch): the simulator
// records it and refuses, changing nothing, a call whose epoch is older
// than one it already saw, as a resource fenced against a replaced leader.
TEST_F(LabTest, SimulatedComputeRefusesACallFromAReplacedLeader) {
  const json& sim = (*lab_)["compute"][0];
  const std::string url = sim["url"].get<std::string>();
  auto c = adapters_.Create<ComputeProvider>("sim_compute", {{"url", url}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ComputeProvider& compute = **c;
  {
    CallEpoch old_leader(4);
    ASSERT_TRUE(compute.Deploy("web", "op-a/deploy").ok());
    ASSERT_TRUE(compute.Scale("web", 2, "op-a/scale").ok());
  }
  {
    CallEpoch new_leader(5);
    ASSERT_TRUE(compute.Scale("web", 3, "op-b/scale").ok());
  }
  {
    CallEpoch old_leader(4);  // its call, late
    Status refused = compute.Scale("web", 7, "op-a/scale-again");
    EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
    EXPECT_NE(refused.message().find("fenced"), std::string::npos) << refused.ToString();
  }
  EXPECT_EQ(compute.State()->Find("web")->instances, 3);  // the late call changed nothing
  auto http = NewCpprestHttpClient();
  auto calls = http->Get(url + "/v1/calls", Millis(5000));
  ASSERT_TRUE(calls.ok());
  const json recorded = json::parse(calls->body)["calls"];
  ASSERT_EQ(recorded.size(), 4u);
  EXPECT_EQ(recorded[0]["epoch"], 4);
  EXPECT_EQ(recorded[2]["epoch"], 5);
  EXPECT_EQ(recorded[3]["epoch"], 4);
  EXPECT_EQ(recorded[3]["refused"], "stale_epoch");
  EXPECT_FALSE(recorded[3]["effect"].get<bool>());
  ASSERT_TRUE(compute.Scale("web", 0, "cleanup").ok());  // without an epoch: not fenced
}

// A control plane that throttles (calls beyond `max_inflight` answer 429
// with Retry-After): the adapter waits it out as asked with the same key,
// every call ends well, and each change happens once.
// Users far away see a slower service: a simulated provider answers each
// vantage a probe names (in its User-Agent) after that vantage's latency.
// Only lower bounds are timed: a sleep is never shorter than asked.
TEST_F(LabTest, SimulatedComputeAnswersEachVantageAfterItsOwnLatency) {
  Steer("sim-a", {{"vantage_latency_ms", {{"frankfurt-1", 300}, {"seoul-1", 0}}}});
  auto runner = std::move(*NewAsioProbeRunner());
  auto probe = [&](const std::string& vantage, Millis timeout) {
    ProbeTarget t{"sim-a", "web", SimUrl("sim-a") + "/", ProbeSettings{}, vantage};
    t.settings.timeout = timeout;
    auto answer = std::make_shared<std::promise<QosSample>>();
    auto future = answer->get_future();
    runner->Start(std::make_shared<const ProbeTarget>(t), [answer](QosSample s) { answer->set_value(std::move(s)); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready) << vantage;
    return future.get();
  };
  QosSample far = probe("frankfurt-1", Millis(30'000));
  ASSERT_TRUE(far.ok) << ProbeErrorName(far.error);
  EXPECT_GE(*far.latency_ms, 300.0);
  EXPECT_EQ(probe("frankfurt-1", Millis(100)).error, ProbeError::kTimeout);  // it cannot answer before 300 ms
  EXPECT_TRUE(probe("seoul-1", Millis(30'000)).ok);
  EXPECT_TRUE(probe("", Millis(30'000)).ok);  // no vantage: latency_ms (0)
  // The steering is checked: milliseconds by vantage, nothing else.
  auto [rc, out] = testing::RunShell("curl -s -o /dev/null -w '%{http_code}' -X PUT " + SimUrl("sim-a") +
                                     "/v1/state -d '{\"vantage_latency_ms\": {\"x\": \"slow\"}}'");
  EXPECT_EQ(out, "400");
  EXPECT_EQ(State("sim-a")["vantage_latency_ms"]["frankfurt-1"], 300);
}

TEST_F(LabTest, AThrottlingControlPlaneIsWaitedOutAndEachChangeHappensOnce) {
  Steer("sim-b", {{"max_inflight", 1}, {"api_latency_ms", 150}});
  // Each caller its own adapter, as each operation builds one.
  std::vector<std::unique_ptr<ComputeProvider>> computes;
  for (int i = 0; i < 6; ++i) {
    auto c = adapters_.Create<ComputeProvider>("sim_compute", {{"url", SimUrl("sim-b")}});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    computes.push_back(std::move(c).value());
  }
  std::vector<std::thread> callers;
  std::atomic<int> failed{0};
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&, i] {
      const std::string service = "t" + std::to_string(i);
      if (!computes[i]->Deploy(service, "op-" + service + "/deploy").ok() || !computes[i]->Scale(service, 1, "op-" + service + "/scale").ok()) ++failed;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(State("sim-b").value("throttled", 0), 0) << State("sim-b").dump();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Effects("t" + std::to_string(i), "op-t" + std::to_string(i), "sim-b"), (std::map<std::string, int>{{"deploy", 1}, {"scale", 1}}));
  EXPECT_EQ(State("sim-b").value("used", 0), 6);
}

// The conformance suites on the lab's servers.
testing::LabAdapters& SharedAdapters() {
  static testing::LabAdapters adapters;
  return adapters;
}

struct LabDns {
  std::unique_ptr<DnsSwitch> Make() {
    const json* lab = LabEnvironment::Lab();
    if (!lab || LabEnvironment::Reset().first != 0) return nullptr;
    const json& dns = (*lab)["dns"];
    auto d = SharedAdapters().Create<DnsSwitch>("powerdns", {{"api_url", dns["api_url"]}, {"api_key", dns["api_key"]}, {"zone", dns["zone"]}});
    return d.ok() ? std::move(d).value() : nullptr;
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(PowerDns, DnsConformance, LabDns);

struct LabSplit {
  std::unique_ptr<TrafficSplit> Make() {
    const json* lab = LabEnvironment::Lab();
    if (!lab || LabEnvironment::Reset().first != 0) return nullptr;
    const json& h = (*lab)["haproxy"];
    auto s = SharedAdapters().Create<TrafficSplit>("haproxy", {{"runtime_socket", h["runtime_socket"]}, {"backend", h["backend"]}});
    return s.ok() ? std::move(s).value() : nullptr;
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Haproxy, TrafficSplitConformance, LabSplit);

struct LabCompute {
  std::string url;
  std::unique_ptr<ComputeProvider> Make() {
    const json* lab = LabEnvironment::Lab();
    if (!lab || LabEnvironment::Reset().first != 0) return nullptr;
    url = (*lab)["compute"][1]["url"].get<std::string>();  // sim-b: the other tests steer sim-a
    auto c = SharedAdapters().Create<ComputeProvider>("sim_compute", {{"url", url}});
    return c.ok() ? std::move(c).value() : nullptr;
  }
  static bool DeployTellsInstances() { return true; }
  // The provider's own change, through the simulator's steering API.
  void SetCapacity(int capacity) {
    if (url.empty()) return;
    auto http = NewCpprestHttpClient();
    (void)http->Send({"PUT", url + "/v1/state", {{"Content-Type", "application/json"}}, "{\"capacity\": " + std::to_string(capacity) + "}", Millis(5000)});
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(SimCompute, ComputeConformance, LabCompute);

}  // namespace
}  // namespace icb
