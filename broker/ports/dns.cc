#include "broker/ports/dns.h"

#include <arpa/inet.h>

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
  for (size_t i = 0; i < r.contents.size(); ++i) {
    const std::string& c = r.contents[i];
    unsigned char buf[16];
    bool ok = r.type == "A" ? inet_pton(AF_INET, c.c_str(), buf) == 1 : r.type == "AAAA" ? inet_pton(AF_INET6, c.c_str(), buf) == 1 : !c.empty() && c.back() == '.';
    if (!ok) return bad("/contents/" + std::to_string(i), "not a valid " + r.type + " record: " + c);
  }
  return Status::Ok();
}

}  // namespace icb
