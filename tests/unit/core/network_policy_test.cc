// The SSRF guard: which addresses the broker may connect to for what
// tenants and provider documents name, in every form an address can take,
// and the HTTP client that sends only there. No test here connects
// anywhere: the client under the guard records what it was asked to send.
#include "broker/core/network_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace icb {
namespace {

IpAddress A(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

NetworkPolicy Lab() { return NetworkPolicy(*NetworkPolicy::ParseNetworks("127.0.0.0/8, ::1, 10.0.0.0/8, fd00::/8")); }

TEST(NetworkPolicy, MetadataLinkLocalUnspecifiedAndMulticastAreNeverReachable) {
  const NetworkPolicy lab = Lab();  // even with loopback and private ranges allowed
  for (const char* never : {"169.254.169.254", "fd00:ec2::254", "169.254.1.1", "fe80::1", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "239.255.255.250",
                            "ff02::1", "255.255.255.255", "240.0.0.1",
                            // IPv4 inside IPv6: mapped, compatible, NAT64, 6to4.
                            "::ffff:169.254.169.254", "::169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "::ffff:0.0.0.0"}) {
    Status s = lab.Check(A(never));
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << never;
    EXPECT_NE(s.message().find("never connects"), std::string::npos) << never << ": " << s.message();
  }
  EXPECT_NE(lab.Check(A("169.254.169.254")).message().find("metadata"), std::string::npos);
  EXPECT_NE(lab.Check(A("::ffff:169.254.169.254")).message().find("(169.254.169.254)"), std::string::npos);
}

TEST(NetworkPolicy, LoopbackAndPrivateRangesOnlyWhenAllowed) {
  const NetworkPolicy closed;
  const NetworkPolicy lab = Lab();
  for (const char* internal : {"127.0.0.1", "127.0.0.2", "::1", "10.1.2.3", "fd12::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"}) {
    Status s = closed.Check(A(internal));
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << internal;
    EXPECT_NE(s.message().find("--allow-networks"), std::string::npos) << s.message();
    EXPECT_TRUE(lab.Check(A(internal)).ok()) << internal;
  }
  for (const char* internal : {"172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "198.18.0.1", "fc00::1"})
    EXPECT_EQ(closed.Check(A(internal)).code(), StatusCode::kPermissionDenied) << internal;
  EXPECT_EQ(lab.Check(A("172.16.0.1")).code(), StatusCode::kPermissionDenied);  // not in this allow list
  // Public addresses pass (only checked here: nothing connects), unless denied.
  for (const char* outside : {"8.8.8.8", "172.32.0.1", "2001:db8::1"}) EXPECT_TRUE(closed.Check(A(outside)).ok()) << outside;
  const NetworkPolicy narrow(*NetworkPolicy::ParseNetworks("127.0.0.1/32"), *NetworkPolicy::ParseNetworks("203.0.113.0/24,127.0.0.1"));
  EXPECT_EQ(narrow.Check(A("203.0.113.9")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(narrow.Check(A("127.0.0.1")).code(), StatusCode::kPermissionDenied);  // deny wins
  EXPECT_EQ(NetworkPolicy(*NetworkPolicy::ParseNetworks("127.0.0.1/32")).Check(A("127.0.0.2")).code(), StatusCode::kPermissionDenied);
}

TEST(NetworkPolicy, NetworksParseStrictly) {
  EXPECT_EQ(NetworkPolicy::ParseNetworks("10.0.0.0/8,fd00::/8")->size(), 2u);
  EXPECT_TRUE(NetworkPolicy::ParseNetworks("")->empty());
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "::1/129", "localhost", "10.0.0.0/", "10.0.0.0/8,", "10.0.0.0/-1"})
    EXPECT_FALSE(NetworkPolicy::ParseNetworks(bad).ok()) << bad;
  EXPECT_TRUE(IpNetwork::Parse("10.0.0.0/8")->Contains(A("10.255.0.1")));
  EXPECT_FALSE(IpNetwork::Parse("10.0.0.0/8")->Contains(A("11.0.0.1")));
  EXPECT_TRUE(IpNetwork::Parse("fe80::/10")->Contains(A("febf::1")));
  EXPECT_FALSE(IpNetwork::Parse("fe80::/10")->Contains(A("fec0::1")));
  EXPECT_TRUE(IpNetwork::Parse("0.0.0.0/0")->Contains(A("1.2.3.4")));
}

// The system resolver reads the legacy IPv4 forms as the address they
// spell, so each is judged as that address (numeric: no lookup leaves the machine).
TEST(NetworkPolicy, DecimalOctalAndHexFormsResolveToTheAddressTheySpell) {
  const NetworkPolicy lab = Lab();
  const HostResolver system = SystemResolver();
  for (const char* metadata : {"2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "[::ffff:169.254.169.254]"}) {
    auto r = ResolveAllowed(lab, system, metadata);
    ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied) << metadata;
    EXPECT_NE(r.status().message().find("metadata"), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(ResolveAllowed(lab, system, "127.1").ok());
  EXPECT_EQ(ResolveAllowed(NetworkPolicy(), system, "2130706433").status().code(), StatusCode::kPermissionDenied);  // 127.0.0.1
}

// A client under the guard that records what reaches it: the connect seam.
class RecordingClient : public HttpClient {
 public:
  Result<HttpClientResponse> Send(const HttpClientRequest& request) override {
    sent.push_back(request);
    return HttpClientResponse{200, {}, "ok"};
  }
  std::vector<HttpClientRequest> sent;
};

HostResolver Names(std::map<std::string, std::vector<std::string>> names) {
  return [names = std::move(names)](const std::string& host) -> Result<std::vector<IpAddress>> {
    if (auto literal = IpAddress::Parse(host)) return std::vector<IpAddress>{*literal};
    auto it = names.find(host);
    if (it == names.end()) return Unavailable("resolve " + host + ": unknown");
    std::vector<IpAddress> out;
    for (const auto& a : it->second) out.push_back(*IpAddress::Parse(a));
    return out;
  };
}

TEST(GuardedHttpClient, DeniedAddressesNeverReachTheConnectSeam) {
  RecordingClient seam;
  const NetworkPolicy lab = Lab();
  auto client = NewGuardedHttpClient(seam, lab,
                                     Names({{"metadata.attacker.example", {"169.254.169.254"}},
                                            {"mixed.attacker.example", {"127.0.0.1", "169.254.169.254"}},
                                            {"private.attacker.example", {"192.168.0.10"}},
                                            {"lab.example", {"127.0.0.1"}}}));
  for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]:80/",
                          "http://metadata.attacker.example/latest/meta-data/", "https://metadata.attacker.example/",
                          "http://mixed.attacker.example/", "http://private.attacker.example:8080/", "http://[fe80::1]/",
                          "http://224.0.0.1/", "http://0.0.0.0:8080/"}) {
    auto r = client->Get(url, Millis(1000));
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << url;
  }
  EXPECT_EQ(client->Get("ftp://lab.example/", Millis(1000)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Get("http://user@lab.example/", Millis(1000)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(seam.sent.empty());

  // An allowed http:// call goes to the checked address; the name stays in Host.
  ASSERT_TRUE(client->Send({"PUT", "http://lab.example:9000/bucket/key?x=1", {{"x-amz-date", "d"}}, "body", Millis(1000)}).ok());
  ASSERT_EQ(seam.sent.size(), 1u);
  EXPECT_EQ(seam.sent[0].url, "http://127.0.0.1:9000/bucket/key?x=1");
  EXPECT_EQ(seam.sent[0].headers.back(), (std::pair<std::string, std::string>{"Host", "lab.example:9000"}));
  EXPECT_EQ(seam.sent[0].body, "body");
  // A Host the caller set (and signed) is kept as it is.
  ASSERT_TRUE(client->Send({"GET", "http://lab.example/", {{"host", "lab.example"}}, "", Millis(1000)}).ok());
  EXPECT_EQ(seam.sent[1].url, "http://127.0.0.1/");
  EXPECT_EQ(seam.sent[1].headers.size(), 1u);
  // https:// keeps the name for the certificate check.
  ASSERT_TRUE(client->Get("https://lab.example:8443/health", Millis(1000)).ok());
  EXPECT_EQ(seam.sent[2].url, "https://lab.example:8443/health");
  ASSERT_TRUE(client->Get("http://[::1]:8080/x", Millis(1000)).ok());
  EXPECT_EQ(seam.sent[3].url, "http://[::1]:8080/x");
}

}  // namespace
}  // namespace icb
