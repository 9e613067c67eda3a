// Conformance suites for the DNS switch, traffic split and compute ports: the
// in-memory fakes in the unit tests, PowerDNS, HAProxy and the simulated
// provider (through the lab) in the integration tests. Factories provide
// Make() and, for compute, SetCapacity(int) steering the provider itself.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "broker/ports/compute.h"
#include "broker/ports/dns.h"
#include "broker/ports/traffic_split.h"

namespace icb {

// DnsSwitch over zone lab.example.
template <typename Factory>
class DnsConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    dns_ = factory_.Make();
    ASSERT_TRUE(dns_);
  }
  Factory factory_;
  std::unique_ptr<DnsSwitch> dns_;
};
TYPED_TEST_SUITE_P(DnsConformance);

TYPED_TEST_P(DnsConformance, ReplaceReadDelete) {
  DnsSwitch& d = *this->dns_;
  const std::string name = "conf-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".lab.example.";
  EXPECT_FALSE(d.Get(name, "A")->has_value());
  ASSERT_TRUE(d.Replace({name, "A", 30, {"192.0.2.1"}, {}}).ok());
  ASSERT_TRUE(d.Replace({name, "A", 45, {"192.0.2.2", "192.0.2.3"}, {}}).ok());  // the whole set replaced
  auto got = d.Get(name, "A");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->ttl, 45);
  auto contents = (*got)->contents;
  std::sort(contents.begin(), contents.end());
  EXPECT_EQ(contents, (std::vector<std::string>{"192.0.2.2", "192.0.2.3"}));
  EXPECT_EQ(d.Replace({name, "A", 30, {"999.1.1.1"}, {}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*d.Get(name, "A"))->contents.size(), 2u);  // refused: unchanged
  ASSERT_TRUE(d.Delete(name, "A").ok());
  EXPECT_FALSE(d.Get(name, "A")->has_value());
  EXPECT_TRUE(d.Delete(name, "A").ok());  // already absent
}
// Answers by client network: a set with views reads back as written; a
// plain set replaces it (and the other way round), and deleting it leaves
// nothing of either.
TYPED_TEST_P(DnsConformance, ViewsReadBackAndGiveWayToAPlainSet) {
  DnsSwitch& d = *this->dns_;
  ASSERT_TRUE(d.AnswersByClientNetwork());  // both DNS adapters do
  const std::string name = "views-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".lab.example.";
  const DnsRecordSet viewed{name, "A", 20, {"192.0.2.1"},
                            {{{"203.0.113.0/24", "2001:db8::/32"}, {"192.0.2.7"}}, {{"198.51.100.0/25"}, {"192.0.2.8", "192.0.2.9"}}}};
  ASSERT_TRUE(d.Replace(viewed).ok());
  auto got = d.Get(name, "A");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
  EXPECT_EQ((*got)->ttl, 20);
  EXPECT_EQ((*got)->contents, viewed.contents);
  ASSERT_EQ((*got)->views.size(), 2u);
  EXPECT_EQ((*got)->views[0].networks, viewed.views[0].networks);
  EXPECT_EQ((*got)->views[0].contents, viewed.views[0].contents);
  EXPECT_EQ((*got)->views[1].contents, viewed.views[1].contents);
  EXPECT_FALSE(d.Get(name, "AAAA")->has_value());  // only the type written
  ASSERT_TRUE(d.Replace({name, "A", 30, {"192.0.2.2"}, {}}).ok());
  got = d.Get(name, "A");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->views.empty());
  EXPECT_EQ((*got)->contents, std::vector<std::string>{"192.0.2.2"});
  ASSERT_TRUE(d.Replace(viewed).ok());
  EXPECT_EQ((*d.Get(name, "A"))->views.size(), 2u);
  EXPECT_EQ((*d.Get(name, "A"))->contents, viewed.contents);  // the plain set gave way
  ASSERT_TRUE(d.Delete(name, "A").ok());
  EXPECT_FALSE(d.Get(name, "A")->has_value());
}
REGISTER_TYPED_TEST_SUITE_P(DnsConformance, ReplaceReadDelete, ViewsReadBackAndGiveWayToAPlainSet);

// TrafficSplit over servers sim-a and sim-b.
template <typename Factory>
class TrafficSplitConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    split_ = factory_.Make();
    ASSERT_TRUE(split_);
  }
  void TearDown() override {
    if (!split_) return;
    (void)split_->SetWeights({{"sim-a", 1}, {"sim-b", 1}});  // as the lab started
    (void)split_->SetState("sim-a", "ready");
    (void)split_->SetState("sim-b", "ready");
  }
  std::map<std::string, SplitServer> ByName() {
    std::map<std::string, SplitServer> out;
    Result<std::vector<SplitServer>> servers = split_->Servers();
    EXPECT_TRUE(servers.ok()) << servers.status().ToString();
    if (!servers.ok()) return out;
    for (const SplitServer& s : servers.value()) out[s.name] = s;
    return out;
  }
  Factory factory_;
  std::unique_ptr<TrafficSplit> split_;
};
TYPED_TEST_SUITE_P(TrafficSplitConformance);

TYPED_TEST_P(TrafficSplitConformance, WeightsAndStates) {
  TrafficSplit& s = *this->split_;
  ASSERT_TRUE(s.SetWeights({{"sim-a", 7}, {"sim-b", 0}}).ok());
  auto servers = this->ByName();
  EXPECT_EQ(servers["sim-a"].weight, 7);
  EXPECT_EQ(servers["sim-b"].weight, 0);
  // One unknown name refuses the whole change.
  EXPECT_EQ(s.SetWeights({{"sim-a", 2}, {"nobody", 1}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(this->ByName()["sim-a"].weight, 7);
  EXPECT_EQ(s.SetWeights({{"sim-a", 300}}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(s.SetState("sim-b", "maint").ok());
  EXPECT_EQ(this->ByName()["sim-b"].state, "maint");
  ASSERT_TRUE(s.SetState("sim-b", "ready").ok());
  EXPECT_EQ(this->ByName()["sim-b"].state, "ready");
  EXPECT_EQ(s.SetState("sim-b", "asleep").code(), StatusCode::kInvalidArgument);
}
REGISTER_TYPED_TEST_SUITE_P(TrafficSplitConformance, WeightsAndStates);

// ComputeProvider with quota 20 and room to steer capacity.
template <typename Factory>
class ComputeConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    compute_ = factory_.Make();
    ASSERT_TRUE(compute_);
  }
  void TearDown() override { factory_.SetCapacity(100); }
  Factory factory_;
  std::unique_ptr<ComputeProvider> compute_;
};
TYPED_TEST_SUITE_P(ComputeConformance);

TYPED_TEST_P(ComputeConformance, ScaleWithinQuotaAndCapacityDeployAndProbeTargets) {
  ComputeProvider& c = *this->compute_;
  const int used_before = c.State()->used;  // a shared lab provider may run others' services
  EXPECT_EQ(c.Scale("conf-api", 1, "k0").code(), StatusCode::kNotFound);  // not deployed yet
  auto d = c.Deploy("conf-api", "k1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->service, "conf-api");
  EXPECT_FALSE(d->url.empty());
  ASSERT_TRUE(c.Deploy("conf-api", "k2").ok());  // idempotent by name
  ASSERT_TRUE(c.Scale("conf-api", 4, "k3").ok());
  ASSERT_TRUE(c.Scale("conf-api", 4, "k4").ok());  // to a number: again is the same
  // A deploy's answer that says what runs (optional) says it right.
  auto again = c.Deploy("conf-api", "k2b");
  ASSERT_TRUE(again.ok());
  if (again->instances) {
    EXPECT_EQ(*again->instances, 4);
  }
  EXPECT_EQ(again->instances.has_value(), this->factory_.DeployTellsInstances());
  auto st = c.State();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->quota, 20);
  EXPECT_EQ(st->used, used_before + 4);
  ASSERT_NE(st->Find("conf-api"), nullptr);
  EXPECT_EQ(st->Find("conf-api")->instances, 4);
  EXPECT_EQ(st->Room("conf-api"), 20 - used_before);
  // Quota and capacity count every service; a refusal changes nothing.
  EXPECT_EQ(c.Scale("conf-api", 21 - used_before, "k5").code(), StatusCode::kResourceExhausted);
  this->factory_.SetCapacity(used_before + 6);
  EXPECT_EQ(c.Scale("conf-api", 7, "k6").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.State()->Find("conf-api")->instances, 4);
  EXPECT_EQ(c.State()->Room("conf-api"), 6);
  auto targets = c.ProbeTargets();
  ASSERT_TRUE(targets.ok());
  ASSERT_EQ(std::count_if(targets->begin(), targets->end(), [](const Deployment& t) { return t.service == "conf-api"; }), 1);
  ASSERT_TRUE(c.Scale("conf-api", 0, "k7").ok());
}
REGISTER_TYPED_TEST_SUITE_P(ComputeConformance, ScaleWithinQuotaAndCapacityDeployAndProbeTargets);

}  // namespace icb
