// What a workload names outside the broker (its service at the compute
// providers, its DNS record, its servers in a load balancer, its data
// prefixes) is one tenant's: the broker acts on those names at shared
// providers, so a second tenant declaring the same one would have the
// broker deploy, switch, drain or copy (and later delete) the first's.
// The first tenant whose workload names one holds it; a data prefix is
// also held against every prefix that overlaps it ("shop" and "shop/x").
#pragma once

#include <string>
#include <vector>

#include "broker/core/status.h"
#include "broker/model/workload.h"
#include "broker/store/store.h"

namespace icb {

inline constexpr std::string_view kClaimsKey = "icb:claims";           // hash: name -> holder
inline constexpr std::string_view kDataClaimsKey = "icb:claims:data";  // hash: data prefix -> holder

struct NameClaim {
  std::string key;      // kClaimsKey or kDataClaimsKey
  std::string name;     // "service:web", "dns:lab-dns:www.lab.example.", a data prefix
  std::string pointer;  // where the workload names it
};

// Every name `w` holds, its pointers into the workload document.
std::vector<NameClaim> ClaimsOf(const Workload& w);

// Holds `w`'s names for its tenant (the space of its stored id). One that
// another tenant holds, or a data prefix overlapping one of another
// tenant's, is FailedPrecondition (409) at its pointer, and this call then
// keeps none of the names it newly took. Names stay held after the
// workload is deleted (documented): a name once a tenant's stays its own.
Status HoldNames(Store& store, const Workload& w);

}  // namespace icb
