// What PowerDNS answers for a zone: its record sets, plain and the LUA
// records of views, read as the adapter reads them.
#include <cstdint>
#include <string_view>

#include "adapters/powerdns/powerdns_dns.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view zone(reinterpret_cast<const char*>(data), size);
  for (const char* type : {"A", "AAAA", "CNAME"}) (void)icb::PowerDnsRecordSetFromZone(zone, "travel.lab.example.", type);
  return 0;
}
