// What every lab test stands on: the lab put back to its start state before
// each test (so `ctest --repeat` runs a test again on the same lab), and the
// ways a test looks at and steers the lab's servers: the simulated
// providers' steering API and call log, PowerDNS through dig, the broker's
// flags for the lab's catalog and credentials.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/lab_environment.h"
#include "tests/support/temp_dir.h"

namespace icb {

class LabFixture : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  void SetUp() override {
    lab_ = LabEnvironment::Lab();
    ASSERT_NE(lab_, nullptr) << "lab up failed:\n" << LabEnvironment::UpOutput();
    auto [rc, out] = LabEnvironment::Reset();
    ASSERT_EQ(rc, 0) << out;
  }

  // Room for every workload a test places (the simulators start with
  // capacity 100 and quota 20 instances).
  void MakeRoomy() {
    for (const auto& sim : (*lab_)["compute"]) Steer(sim["provider"], {{"capacity", 1000}, {"quota", 1000}});
  }
  std::string SimUrl(const std::string& provider) const { return Sim(provider).value("url", ""); }
  // The loopback address a provider serves on: what its DNS records hold.
  std::string Address(const std::string& provider) const { return Sim(provider).value("address", ""); }
  // The provider's own changes, through the simulator's steering API.
  void Steer(const std::string& provider, const json& change) {
    auto [rc, out] = testing::RunShell("curl -sf -X PUT " + SimUrl(provider) + "/v1/state -d '" + change.dump() + "'");
    ASSERT_EQ(rc, 0) << out;
  }
  json State(const std::string& provider) const {
    auto [rc, out] = testing::RunShell("curl -sf " + SimUrl(provider) + "/v1/state");
    return rc == 0 ? json::parse(out) : json::object();
  }
  // Instances running at a provider, all services together.
  int Used(const std::string& provider) const { return State(provider).value("used", 0); }
  // Deploy and scale calls that changed something for `service`, sent by
  // the operation `op` ("": any), at `provider` ("": every sim), by call.
  std::map<std::string, int> Effects(const std::string& service, const std::string& op = "", const std::string& provider = "") const {
    std::map<std::string, int> n;
    for (const auto& sim : (*lab_)["compute"]) {
      if (!provider.empty() && sim["provider"] != provider) continue;
      auto [rc, out] = testing::RunShell("curl -sf " + sim["url"].get<std::string>() + "/v1/calls");
      if (rc != 0) return {{"(sim did not answer)", 1}};
      const json calls = json::parse(out);  // named: a loop over a temporary's member would dangle
      for (const auto& c : calls["calls"]) {
        const std::string key = c.value("idempotency_key", "");
        if (c["service"] == service && c["effect"].get<bool>() && (op.empty() || key.rfind(op + "/", 0) == 0)) ++n[c["call"].get<std::string>()];
      }
    }
    return n;
  }
  // The record's contents as the lab's PowerDNS answers them, one a line,
  // sorted; with `subnet`, to a resolver forwarding that client subnet
  // (EDNS Client Subnet: what a view answers by).
  std::string Dig(const std::string& name, const std::string& type = "A", const std::string& subnet = "") const {
    auto [rc, out] = testing::RunShell("dig +short +norecurse +time=1 +tries=2 @127.0.0.1 -p " + std::to_string((*lab_)["dns"]["port"].get<int>()) + " " + name +
                                       " " + type + (subnet.empty() ? "" : " +subnet=" + subnet) + " | sort");
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  // awscli against the lab's S3 server (sim-a's and sim-c's buckets).
  std::pair<int, std::string> Aws(const std::string& args) const {
    const auto& s3 = (*lab_)["s3"];
    return testing::RunShell("env -u AWS_CA_BUNDLE AWS_ACCESS_KEY_ID=" + s3["access_key"].get<std::string>() + " AWS_SECRET_ACCESS_KEY=" +
                             s3["secret_key"].get<std::string>() + " AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url " +
                             s3["endpoint"].get<std::string>() + " " + args + " 2>&1");
  }
  // key -> SHA-256 of every file under `dir`.
  static std::map<std::string, std::string> Hashes(const std::string& dir) {
    auto [rc, out] = testing::RunShell("cd " + dir + " && find . -type f | sort | xargs sha256sum");
    std::map<std::string, std::string> h;
    std::istringstream in(out);
    for (std::string sum, name; in >> sum >> name;) h[name.substr(2)] = sum;
    return h;
  }
  // A workload's operations of `kind`, as the broker lists them (none when it does not answer).
  static std::vector<json> Operations(testing::BrokerProcess& b, const std::string& kind, const std::string& workload) {
    auto r = b.Call("GET", "/v1/operations?kind=" + kind + "&workload=" + workload);
    if (r.status != 200) return {};
    auto j = json::parse(r.body);
    const json& list = j.is_array() ? j : j["operations"];
    return std::vector<json>(list.begin(), list.end());
  }
  // The operation created last.
  static json Newest(const std::vector<json>& ops) {
    json newest;
    for (const auto& op : ops)
      if (newest.is_null() || std::make_pair(op["created_at"].get<std::string>(), op["id"].get<std::string>()) >
                                  std::make_pair(newest["created_at"].get<std::string>(), newest["id"].get<std::string>()))
        newest = op;
    return newest;
  }
  // A broker serving the lab's catalog with its credentials, its state in
  // `data_dir` (or, with `redis_port`, in that Redis, outliving the broker
  // when a test kills it).
  std::vector<std::string> BrokerArgs(const std::string& data_dir, int redis_port = 0) const {
    const std::string dir = LabEnvironment::Dir();
    std::vector<std::string> args = {"--data-dir", data_dir, "--catalog", dir + "/catalog", "--credentials", dir + "/credentials.json", "--broker-id", "lab-broker"};
    if (redis_port) args.insert(args.end(), {"--redis", "redis://127.0.0.1:" + std::to_string(redis_port)});
    return args;
  }

  const json* lab_ = nullptr;
  testing::TempDir tmp_;

 private:
  json Sim(const std::string& provider) const {
    for (const auto& sim : (*lab_)["compute"])
      if (sim["provider"] == provider) return sim;
    return json::object();
  }
};

}  // namespace icb
