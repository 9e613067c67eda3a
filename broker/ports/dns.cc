#include "broker/ports/dns.h"

#include <arpa/inet.h>

#include "broker/core/network_policy.h"

namespace icb {

Status CheckRecordSet(const DnsRecordSet& r, const std::string& zone) {
  auto bad = [](const std::string& pointer, const std::string& why) { return InvalidArgument("invalid record set", {{pointer, why}}); };
  if (r.type != "A" && r.type != "AAAA" && r.type != "CNAME") return bad("/type", "type must be A, AAAA or CNAME, got " + r.type);
  if (r.name.empty() || r.name.back() != '.') return bad("/name", "name must be absolute (end with a dot): " + r.name);
  if (r.name != zone && (r.name.size() <= zone.size() || r.name.compare(r.name.size() - zone.size() - 1, std::string::npos, "." + zone) != 0)) {
    return bad("/name", r.name + " is not inside the zone " + zone);
  }
  if (r.ttl < 1 || r.ttl > 86400) return bad("/ttl", "ttl must be 1 to 86400 seconds");
  if (r.contents.empty()) return bad("/contents", "at least one record");
  if (r.type == "CNAME" && r.contents.size() != 1) return bad("/contents", "a CNAME has exactly one target");
  auto check_contents = [&](const std::vector<std::string>& contents, const std::string& at) -> Status {
    for (size_t i = 0; i < contents.size(); ++i) {
      const std::string& c = contents[i];
      unsigned char buf[16];
      bool ok = r.type == "A" ? inet_pton(AF_INET, c.c_str(), buf) == 1 : r.type == "AAAA" ? inet_pton(AF_INET6, c.c_str(), buf) == 1 : !c.empty() && c.back() == '.';
      if (!ok) return bad(at + "/" + std::to_string(i), "not a valid " + r.type + " record: " + c);
    }
    return Status::Ok();
  };
  ICB_RETURN_IF_ERROR(check_contents(r.contents, "/contents"));
  if (!r.views.empty() && r.type == "CNAME") return bad("/views", "a CNAME answers everyone alike (views are for A and AAAA)");
  for (size_t v = 0; v < r.views.size(); ++v) {
    const std::string at = "/views/" + std::to_string(v);
    if (r.views[v].networks.empty()) return bad(at + "/networks", "at least one network");
    if (r.views[v].contents.empty()) return bad(at + "/contents", "at least one record");
    for (size_t n = 0; n < r.views[v].networks.size(); ++n)
      if (!IpNetwork::Parse(r.views[v].networks[n])) return bad(at + "/networks/" + std::to_string(n), "not a network: " + r.views[v].networks[n]);
    ICB_RETURN_IF_ERROR(check_contents(r.views[v].contents, at + "/contents"));
  }
  return Status::Ok();
}

}  // namespace icb
