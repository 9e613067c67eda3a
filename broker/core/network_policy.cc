#include "broker/core/network_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace icb {

namespace {

IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress out;
  out.bytes = {a, b, c, d};
  return out;
}

IpNetwork Net(std::string_view text) { return *IpNetwork::Parse(text); }

struct Range {
  IpNetwork network;
  const char* what;
};

// Never reachable, whatever the operator allows.
const std::vector<Range>& Forbidden() {
  static const std::vector<Range> ranges = {
      {Net("169.254.169.254/32"), "the cloud metadata service"},
      {Net("fd00:ec2::254/128"), "the cloud metadata service"},
      {Net("0.0.0.0/8"), "unspecified (\"this network\")"},
      {Net("::/128"), "unspecified"},
      {Net("169.254.0.0/16"), "link-local"},
      {Net("fe80::/10"), "link-local"},
      {Net("224.0.0.0/4"), "multicast"},
      {Net("ff00::/8"), "multicast"},
      {Net("255.255.255.255/32"), "broadcast"},
      {Net("240.0.0.0/4"), "reserved"},
  };
  return ranges;
}

// Reachable only inside a network the operator allows.
const std::vector<Range>& Internal() {
  static const std::vector<Range> ranges = {
      {Net("127.0.0.0/8"), "loopback"},        {Net("::1/128"), "loopback"},
      {Net("10.0.0.0/8"), "private"},          {Net("172.16.0.0/12"), "private"},
      {Net("192.168.0.0/16"), "private"},      {Net("100.64.0.0/10"), "shared address space (carrier NAT)"},
      {Net("198.18.0.0/15"), "benchmarking"},  {Net("fc00::/7"), "unique local (private)"},
  };
  return ranges;
}

// The IPv4 address an IPv6 one carries, if it is one of the forms that
// reach it: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64
// (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::).
std::optional<IpAddress> EmbeddedV4(const IpAddress& a) {
  if (!a.v6) return std::nullopt;
  const auto& b = a.bytes;
  auto zero = [&](size_t from, size_t to) { return std::all_of(b.begin() + from, b.begin() + to, [](uint8_t x) { return x == 0; }); };
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return V4(b[12], b[13], b[14], b[15]);
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] == 1)) return V4(b[12], b[13], b[14], b[15]);  // not :: or ::1
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) return V4(b[12], b[13], b[14], b[15]);
  if (b[0] == 0x20 && b[1] == 0x02) return V4(b[2], b[3], b[4], b[5]);
  return std::nullopt;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress out;
  in_addr v4{};
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
    std::memcpy(out.bytes.data(), &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
  out.v6 = true;
  std::memcpy(out.bytes.data(), &v6, 16);
  return out;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* address) {
  IpAddress out;
  if (address->sa_family == AF_INET) {
    std::memcpy(out.bytes.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
    return out;
  }
  if (address->sa_family == AF_INET6) {
    out.v6 = true;
    std::memcpy(out.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpNetwork> IpNetwork::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto base = IpAddress::Parse(text.substr(0, slash));
  if (!base) return std::nullopt;
  const int bits = base->v6 ? 128 : 32;
  IpNetwork out{*base, bits};
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    out.prefix = std::stoi(std::string(p));
    if (out.prefix > bits) return std::nullopt;
  }
  return out;
}

bool IpNetwork::Contains(const IpAddress& a) const {
  if (a.v6 != base.v6) return false;
  int left = prefix;
  for (size_t i = 0; left > 0; ++i, left -= 8) {
    const uint8_t mask = left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - left));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::string IpNetwork::ToString() const { return base.ToString() + "/" + std::to_string(prefix); }

Result<std::vector<IpNetwork>> NetworkPolicy::ParseNetworks(std::string_view list) {
  std::vector<IpNetwork> out;
  size_t at = 0;
  while (at <= list.size() && !list.empty()) {
    const size_t comma = list.find(',', at);
    std::string_view one = list.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    auto net = IpNetwork::Parse(one);
    if (!net) return InvalidArgument("\"" + std::string(one.substr(0, 64)) + "\" is not a network (e.g. 127.0.0.0/8, 10.1.2.3, fd00::/8)");
    out.push_back(*net);
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

Status NetworkPolicy::Check(const IpAddress& a) const {
  ICB_RETURN_IF_ERROR(CheckOne(a, a));
  if (auto inner = EmbeddedV4(a)) return CheckOne(*inner, a);
  return Status::Ok();
}

Status NetworkPolicy::CheckOne(const IpAddress& a, const IpAddress& shown) const {
  const std::string name = shown.ToString() + (&a == &shown ? "" : " (" + a.ToString() + ")");
  for (const auto& r : Forbidden())
    if (r.network.Contains(a)) return PermissionDenied("address " + name + " is " + r.what + ": the broker never connects there");
  for (const auto& n : deny_)
    if (n.Contains(a)) return PermissionDenied("address " + name + " is in " + n.ToString() + ", which --deny-networks refuses");
  for (const auto& r : Internal())
    if (r.network.Contains(a)) {
      for (const auto& n : allow_)
        if (n.Contains(a)) return Status::Ok();
      return PermissionDenied("address " + name + " is " + r.what + ", which the broker reaches only inside --allow-networks");
    }
  return Status::Ok();
}

HostResolver SystemResolver() {
  return [](const std::string& host) -> Result<std::vector<IpAddress>> {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) return Unavailable("resolve " + host.substr(0, 255) + ": " + gai_strerror(rc));
    std::vector<IpAddress> out;
    for (addrinfo* i = found; i; i = i->ai_next)
      if (auto a = IpAddress::FromSockaddr(i->ai_addr)) out.push_back(*a);
    freeaddrinfo(found);
    if (out.empty()) return Unavailable("resolve " + host.substr(0, 255) + ": no address");
    return out;
  };
}

Result<std::vector<IpAddress>> ResolveAllowed(const NetworkPolicy& policy, const HostResolver& resolve, const std::string& host) {
  std::string bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  ICB_ASSIGN_OR_RETURN(std::vector<IpAddress> addresses, resolve(bare));
  for (const auto& a : addresses) {
    Status s = policy.Check(a);
    if (!s.ok()) return PermissionDenied(bare.substr(0, 255) + ": " + s.message());
  }
  return addresses;
}

std::optional<Authority> SplitAuthority(std::string_view authority) {
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  Authority out;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      out.port = std::string(after.substr(1));
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) return std::nullopt;
  return out;
}

namespace {

// scheme://authority/rest, split; nullopt unless http or https.
struct UrlParts {
  bool tls = false;
  std::string authority, rest;
  Authority parts;
};

std::optional<UrlParts> SplitHttpUrl(std::string_view url) {
  UrlParts u;
  std::string_view after;
  if (url.starts_with("http://")) {
    after = url.substr(7);
  } else if (url.starts_with("https://")) {
    after = url.substr(8);
    u.tls = true;
  } else {
    return std::nullopt;
  }
  const size_t end = after.find_first_of("/?#");
  u.authority = std::string(after.substr(0, end));
  u.rest = end == std::string_view::npos ? "" : std::string(after.substr(end));
  auto parts = SplitAuthority(u.authority);
  if (!parts) return std::nullopt;
  u.parts = std::move(*parts);
  return u;
}

class GuardedHttpClient final : public HttpClient {
 public:
  GuardedHttpClient(HttpClient& inner, const NetworkPolicy& policy, HostResolver resolve)
      : inner_(inner), policy_(policy), resolve_(std::move(resolve)) {}

  Result<HttpClientResponse> Send(const HttpClientRequest& request) override {
    auto url = SplitHttpUrl(request.url);
    if (!url) return InvalidArgument("not an http:// or https:// URL");
    ICB_ASSIGN_OR_RETURN(std::vector<IpAddress> addresses, ResolveAllowed(policy_, resolve_, url->parts.host));
    if (url->tls) return inner_.Send(request);
    // To the checked address itself; the name stays in the Host header.
    HttpClientRequest pinned = request;
    const IpAddress& to = addresses.front();
    pinned.url = "http://" + (to.v6 ? "[" + to.ToString() + "]" : to.ToString()) + (url->parts.port.value_or("").empty() ? "" : ":" + *url->parts.port) + url->rest;
    const bool has_host = std::any_of(request.headers.begin(), request.headers.end(), [](const auto& h) {
      return h.first.size() == 4 && (h.first[0] | 0x20) == 'h' && (h.first[1] | 0x20) == 'o' && (h.first[2] | 0x20) == 's' && (h.first[3] | 0x20) == 't';
    });
    if (!has_host) pinned.headers.emplace_back("Host", url->authority);
    return inner_.Send(pinned);
  }

 private:
  HttpClient& inner_;
  const NetworkPolicy& policy_;
  HostResolver resolve_;
};

}  // namespace

std::unique_ptr<HttpClient> NewGuardedHttpClient(HttpClient& inner, const NetworkPolicy& policy, HostResolver resolve) {
  return std::make_unique<GuardedHttpClient>(inner, policy, std::move(resolve));
}

}  // namespace icb
