// Where the broker may connect on behalf of what tenants and provider
// documents name (probe endpoints, workloads' serving addresses, adapter
// endpoints): every address a name resolves to is checked before a
// connection is made to it, and a connection is made only to an address
// that was checked (OWASP API7, server-side request forgery).
//
// Never reachable: unspecified, link-local (with the cloud metadata
// service, 169.254.169.254 and fd00:ec2::254), multicast, broadcast and
// reserved addresses. Reachable only when the operator allows their
// network (serve --allow-networks): loopback and private ranges (RFC 1918,
// shared address space, unique local IPv6). Reachable unless the operator
// denies them (--deny-networks): the rest. An IPv6 address that carries an
// IPv4 one (mapped, compatible, NAT64, 6to4) is judged as that too.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/http_client.h"
#include "broker/core/status.h"

struct sockaddr;

namespace icb {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4

  // Dotted quad or IPv6 text (no brackets, no legacy IPv4 forms: those are
  // what a resolver turns into an address).
  static std::optional<IpAddress> Parse(std::string_view text);
  static std::optional<IpAddress> FromSockaddr(const sockaddr* address);
  std::string ToString() const;
};

struct IpNetwork {
  IpAddress base;
  int prefix = 0;
  // "10.0.0.0/8", "fd00::/8", or an address alone (the whole prefix).
  static std::optional<IpNetwork> Parse(std::string_view text);
  bool Contains(const IpAddress& a) const;
  std::string ToString() const;
};

class NetworkPolicy {
 public:
  // `allow`: loopback and private networks the broker may reach (the lab:
  // 127.0.0.0/8); `deny`: further networks it may not (wins over allow).
  explicit NetworkPolicy(std::vector<IpNetwork> allow = {}, std::vector<IpNetwork> deny = {})
      : allow_(std::move(allow)), deny_(std::move(deny)) {}
  // Networks from a comma-separated list; InvalidArgument naming the bad one.
  static Result<std::vector<IpNetwork>> ParseNetworks(std::string_view list);

  // Ok, or PermissionDenied naming the address and why (never the name it
  // came from: a caller adds that).
  Status Check(const IpAddress& a) const;

 private:
  Status CheckOne(const IpAddress& a, const IpAddress& shown) const;
  std::vector<IpNetwork> allow_, deny_;
};

// A host name's addresses (getaddrinfo in production: it also reads the
// legacy IPv4 forms, "2852039166" and "0xa9.0376.43518", as addresses).
using HostResolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
HostResolver SystemResolver();

// The addresses `host` resolves to, each allowed by `policy`; refused
// (PermissionDenied) when any is not: a name that answers with one denied
// address among allowed ones is refused whole.
Result<std::vector<IpAddress>> ResolveAllowed(const NetworkPolicy& policy, const HostResolver& resolve, const std::string& host);

// A URL's authority, "host[:port]" or "[v6][:port]": the host (brackets
// removed) and the port as written (nullopt: none given). nullopt for user
// info, an empty host, an unclosed bracket or anything after it but a port.
struct Authority {
  std::string host;
  std::optional<std::string> port;
};
std::optional<Authority> SplitAuthority(std::string_view authority);

// An HttpClient that sends only where `policy` allows: the URL's host is
// resolved and checked first. An http:// request then goes to the checked
// address itself (its Host header keeps the name), so a second lookup
// cannot lead it elsewhere; an https:// one keeps the name for the
// certificate check (docs/limits.md). Redirects are never followed (the
// inner client answers them as they are).
std::unique_ptr<HttpClient> NewGuardedHttpClient(HttpClient& inner, const NetworkPolicy& policy, HostResolver resolve);

}  // namespace icb
