// What deploy/ ships, checked as the tools that run it would: the systemd
// unit verifies (systemd-analyze verify, its ExecStart pointed at the
// built binary), keeps the exposure systemd-analyze security reports low,
// restarts on failure with enough descriptors; the Kubernetes manifests
// validate against the pinned Kubernetes schemas (tools/kubernetes) and run
// three replicas behind probes, a Service and a disruption budget on Redis
// with Sentinel; the container file builds on Debian with the setup script
// and runs as a non-root user with a health check. Every flag any of them
// passes is the binary's own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace icb {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every --flag in `text` is one `icbroker serve` has; returns how many.
int ExpectServeFlags(const std::string& text) {
  static const std::string help = [] {
    auto [rc, out] = testing::RunShell(std::string(ICBROKER_BIN) + " serve --help 2>&1");
    EXPECT_EQ(rc, 0) << out;
    return out;
  }();
  int flags = 0;
  const std::regex flag(R"((--[a-z-]+))");
  for (std::sregex_iterator f(text.begin(), text.end(), flag), end; f != end; ++f, ++flags)
    EXPECT_NE(help.find("  " + (*f)[1].str() + " "), std::string::npos) << (*f)[1];
  return flags;
}

TEST(SystemdUnit, VerifiesIsHardenedAndNamesTheBinarysFlags) {
  const std::string unit = ReadFile(std::string(ICB_SOURCE_DIR) + "/deploy/systemd/icbroker.service");
  ASSERT_FALSE(unit.empty());
  for (const char* setting : {"Restart=on-failure", "LimitNOFILE=65536", "NoNewPrivileges=yes", "ProtectSystem=strict", "DynamicUser=yes",
                              "StateDirectory=icbroker", "KillSignal=SIGTERM"})
    EXPECT_NE(unit.find(std::string("\n") + setting + "\n"), std::string::npos) << setting;

  testing::TempDir dir;
  std::string here = unit;
  const std::string installed = "/usr/local/bin/icbroker";
  ASSERT_NE(here.find(installed), std::string::npos);
  here.replace(here.find(installed), installed.size(), ICBROKER_BIN);
  const std::string path = dir.path() + "/icbroker.service";
  std::ofstream(path) << here;
  auto [verify_rc, verify_out] = testing::RunShell("systemd-analyze verify " + path + " 2>&1");
  EXPECT_EQ(verify_rc, 0) << verify_out;
  EXPECT_EQ(verify_out, "") << verify_out;

  auto [security_rc, security_out] = testing::RunShell("systemd-analyze security --offline=yes " + path + " 2>&1");
  std::smatch level;
  ASSERT_TRUE(std::regex_search(security_out, level, std::regex(R"(Overall exposure level for icbroker\.service: ([0-9.]+))"))) << security_out;
  EXPECT_LE(std::stod(level[1]), 2.0) << security_out;

  // The flags ExecStart passes are ones `serve` has.
  std::smatch exec;
  ASSERT_TRUE(std::regex_search(unit, exec, std::regex(R"(\nExecStart=([^\n]+))")));
  EXPECT_GE(ExpectServeFlags(exec[1]), 2);
}

using nlohmann::json;

// The manifests as the validator read them, every document valid.
json Manifests() {
  const std::string src = ICB_SOURCE_DIR;
  auto [rc, out] = testing::RunShell("node " + src + "/tools/kubernetes/validate.js " + src + "/deploy/kubernetes/*.yaml 2>&1");
  EXPECT_EQ(rc, 0) << out;
  return rc == 0 ? json::parse(out) : json::array();
}

const json& Find(const json& docs, const std::string& kind, const std::string& name) {
  static const json none;
  for (const auto& d : docs)
    if (d["kind"] == kind && d["metadata"]["name"] == name) return d;
  ADD_FAILURE() << "no " << kind << " " << name;
  return none;
}

TEST(KubernetesManifests, ValidateAgainstThePinnedSchemasAndRefuseWhatDoesNot) {
  const json docs = Manifests();
  ASSERT_GE(docs.size(), 10u);
  // The validator refuses what the API server would.
  testing::TempDir dir;
  std::ofstream(dir.path() + "/bad.yaml") << "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: \"3\"}\n";
  auto [rc, out] = testing::RunShell("node " + std::string(ICB_SOURCE_DIR) + "/tools/kubernetes/validate.js " + dir.path() + "/bad.yaml 2>&1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("data/spec/replicas must be integer"), std::string::npos) << out;
  // Secrets are referenced, never shipped.
  for (const auto& d : docs) EXPECT_NE(d["kind"], "Secret") << d.dump();
}

TEST(KubernetesManifests, ThreeBrokerReplicasBehindProbesAServiceAndADisruptionBudgetOnRedisWithSentinel) {
  const json docs = Manifests();
  const json& deployment = Find(docs, "Deployment", "icbroker");
  ASSERT_TRUE(deployment.is_object());
  EXPECT_EQ(deployment["spec"]["replicas"], 3);
  const json& pod = deployment["spec"]["template"];
  const json& labels = pod["metadata"]["labels"];
  EXPECT_TRUE(pod["spec"]["securityContext"]["runAsNonRoot"].get<bool>());
  EXPECT_NE(pod["spec"]["securityContext"]["runAsUser"], 0);
  const json& broker = pod["spec"]["containers"][0];
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(broker[probe]["httpGet"]["path"], "/v1/health") << probe;
    EXPECT_EQ(broker[probe]["httpGet"]["port"], broker["ports"][0]["name"]) << probe;
  }
  EXPECT_TRUE(broker["resources"]["requests"].contains("cpu"));
  EXPECT_TRUE(broker["resources"]["requests"].contains("memory"));
  EXPECT_TRUE(broker["resources"]["limits"].contains("memory"));
  EXPECT_FALSE(broker["securityContext"]["allowPrivilegeEscalation"].get<bool>());
  EXPECT_TRUE(broker["securityContext"]["readOnlyRootFilesystem"].get<bool>());

  // Its flags are the binary's; each $(VAR) comes from a Secret, a
  // ConfigMap of the manifests or the pod itself.
  std::string args;
  for (const auto& a : broker["args"]) args += a.get<std::string>() + " ";
  EXPECT_TRUE(args.starts_with("serve "));
  EXPECT_GE(ExpectServeFlags(args), 8);
  std::set<std::string> defined;
  for (const auto& e : broker["env"]) {
    defined.insert(e["name"].get<std::string>());
    const json& from = e["valueFrom"];
    if (from.contains("configMapKeyRef")) {
      const json& map = Find(docs, "ConfigMap", from["configMapKeyRef"]["name"]);
      EXPECT_TRUE(map["data"].contains(from["configMapKeyRef"]["key"].get<std::string>())) << e.dump();
    } else {
      EXPECT_TRUE(from.contains("secretKeyRef") || from.contains("fieldRef")) << e.dump();
    }
  }
  const std::regex var(R"(\$\(([A-Z_]+)\))");
  for (std::sregex_iterator v(args.begin(), args.end(), var), end; v != end; ++v) EXPECT_TRUE(defined.count((*v)[1])) << (*v)[1];

  // The Service and the budget select the broker's pods; two of three stay.
  for (const char* kind : {"Service", "PodDisruptionBudget"}) {
    const json& d = Find(docs, kind, "icbroker");
    const json& selector = std::string(kind) == "Service" ? d["spec"]["selector"] : d["spec"]["selector"]["matchLabels"];
    for (const auto& [k, v] : selector.items()) EXPECT_EQ(labels[k], v) << kind;
  }
  EXPECT_EQ(Find(docs, "PodDisruptionBudget", "icbroker")["spec"]["minAvailable"], 2);

  // --redis names the Sentinels of the StatefulSet and the master they monitor.
  const json& sentinels = Find(docs, "StatefulSet", "redis-sentinel");
  EXPECT_EQ(sentinels["spec"]["replicas"], 3);
  EXPECT_EQ(Find(docs, "StatefulSet", "redis")["spec"]["replicas"], 3);
  const std::string service = sentinels["spec"]["serviceName"];
  std::smatch url;
  ASSERT_TRUE(std::regex_search(args, url, std::regex(R"(--redis (sentinel://\S+))")));
  for (int i = 0; i < 3; ++i)
    EXPECT_NE(url[1].str().find("redis-sentinel-" + std::to_string(i) + "." + service + ":26379"), std::string::npos) << url[1];
  const json& scripts = Find(docs, "ConfigMap", "icbroker-redis")["data"];
  const std::string master = url[1].str().substr(url[1].str().rfind('/') + 1);
  EXPECT_NE(scripts["start-sentinel.sh"].get<std::string>().find("sentinel monitor " + master + " "), std::string::npos);
  // What the broker needs of Redis (docs/features.md): every write fsynced.
  EXPECT_NE(scripts["redis.conf"].get<std::string>().find("appendfsync always"), std::string::npos);
  // The start scripts are shell the image's sh reads.
  for (const char* script : {"start-redis.sh", "start-sentinel.sh"}) {
    testing::TempDir d;
    std::ofstream(d.path() + "/s.sh") << scripts[script].get<std::string>();
    auto [sh_rc, sh_out] = testing::RunShell("sh -n " + d.path() + "/s.sh");
    EXPECT_EQ(sh_rc, 0) << script << ": " << sh_out;
  }
}

// The container file builds with the setup script on Debian 12 and runs
// the binary as a non-root user with a health check; the packages it
// installs to run are every one the binary's libraries come from.
TEST(ContainerFile, DebianTheSetupScriptANonRootUserAndAHealthCheck) {
  const std::string src = ICB_SOURCE_DIR;
  const std::string file = ReadFile(src + "/deploy/container/Containerfile");
  ASSERT_FALSE(file.empty());
  int stages = 0;
  const std::regex from(R"(\nFROM (\S+))");
  for (std::sregex_iterator f(file.begin(), file.end(), from), end; f != end; ++f, ++stages)
    EXPECT_TRUE((*f)[1].str().starts_with("debian:12")) << (*f)[1];
  EXPECT_EQ(stages, 2);
  EXPECT_NE(file.find("scripts/setup.sh --only build"), std::string::npos);
  EXPECT_NE(file.find("setup.sh --only run"), std::string::npos);
  std::smatch user;
  ASSERT_TRUE(std::regex_search(file, user, std::regex(R"(\nUSER (\d+))")));
  EXPECT_NE(std::stoi(user[1]), 0);
  EXPECT_NE(file.find("\nHEALTHCHECK "), std::string::npos);
  EXPECT_NE(file.find("http://127.0.0.1:8080/v1/health"), std::string::npos);
  std::smatch cmd;
  ASSERT_TRUE(std::regex_search(file, cmd, std::regex(R"(\nCMD \[([^\n]+)\])")));
  EXPECT_NE(cmd[1].str().find("\"--listen\", \"0.0.0.0:8080\""), std::string::npos);
  EXPECT_GE(ExpectServeFlags(cmd[1]), 3);

  // setup.sh's run_packages hold the package of every library the binary loads.
  const std::string setup = ReadFile(src + "/scripts/setup.sh");
  std::smatch run;
  ASSERT_TRUE(std::regex_search(setup, run, std::regex(R"(\nrun_packages=\(([^)]*)\))")));
  const std::string listed = " " + std::regex_replace(run[1].str(), std::regex(R"(\s+)"), " ") + " ";
  auto [rc, owners] = testing::RunShell("for l in $(ldd " + std::string(ICBROKER_BIN) +
                                        " | awk '/=>/ {print $3}'); do dpkg -S \"$(readlink -f $l)\" 2>/dev/null || dpkg -S \"$l\"; done"
                                        " | cut -d: -f1 | sort -u");
  ASSERT_EQ(rc, 0) << owners;
  std::istringstream in(owners);
  int packages = 0;
  for (std::string package; in >> package; ++packages) {
    if (package == "libc6" || package == "libgcc-s1") continue;  // Essential: in every Debian image
    EXPECT_NE(listed.find(" " + package + " "), std::string::npos) << package << " is not in run_packages";
  }
  EXPECT_GE(packages, 5);
  EXPECT_NE(listed.find(" redis-server "), std::string::npos);  // the embedded Redis
  EXPECT_NE(listed.find(" curl "), std::string::npos);          // the health check
}

}  // namespace
}  // namespace icb
