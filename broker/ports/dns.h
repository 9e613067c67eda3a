// The DNS traffic-switch port: read and replace the records that point
// clients at a provider (A, AAAA, CNAME) with their TTL.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broker/core/status.h"

namespace icb {

// Clients in one of `networks` (CIDRs, by their resolver's EDNS Client
// Subnet) are answered `contents` (GeoDNS "views": an audience served from
// a provider near it).
struct DnsView {
  std::vector<std::string> networks, contents;
};

struct DnsRecordSet {
  std::string name;  // absolute, with the trailing dot: www.lab.example.
  std::string type;  // A, AAAA or CNAME
  int ttl = 60;
  std::vector<std::string> contents;  // addresses, or one target name for CNAME: everyone's answer outside the views
  std::vector<DnsView> views;         // A and AAAA only; the first whose networks hold the client answers it
};

// Checks a record set before it is sent: type, absolute name inside `zone`,
// address syntax, one CNAME target, views' networks as CIDRs and their
// addresses. Errors point at the field.
Status CheckRecordSet(const DnsRecordSet& r, const std::string& zone);

class DnsSwitch {
 public:
  static constexpr const char* kCapability = "dns";
  virtual ~DnsSwitch() = default;
  virtual Result<std::optional<DnsRecordSet>> Get(const std::string& name, const std::string& type) = 0;
  // Replaces the whole record set (all its records and its TTL) at once.
  virtual Status Replace(const DnsRecordSet& records) = 0;
  virtual Status Delete(const std::string& name, const std::string& type) = 0;  // ok when absent
  // Whether it answers by client network: one that does not refuses a set
  // with views (FailedPrecondition), and a workload's audiences cannot be
  // served apart through it.
  virtual bool AnswersByClientNetwork() const { return false; }
};

}  // namespace icb
