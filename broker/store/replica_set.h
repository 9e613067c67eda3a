// The brokers sharing one store, and which of them does which share of the
// probing. Each broker renews a heartbeat in the store (the hash
// icb:replicas: broker id -> "JOINED_MS EXPIRES_MS VANTAGE", wall clock);
// the live set is every entry not expired. Brokers share only with those
// probing as the same vantage: each vantage measures every target. A key (a workload, a provider endpoint)
// belongs to the live broker that ranks highest for it by rendezvous
// hashing: every broker that reads the same set computes the same owner
// without talking to the others, and when one dies only its keys move.
//
// A broker counts towards ownership only `settle` after it joined: by then
// every other broker has read its entry (each reads every `beat`), so the
// old owners stop probing its share as it starts, instead of both probing
// it for a while. While none has settled (a first start of several), the
// one that joined first owns every key. One that dies is out once its entry expires: its share
// moves within `expiry` of its last heartbeat. Expiry is judged on each
// broker's wall clock: clocks apart by more than a fraction of `expiry`
// (NTP keeps them within milliseconds) would move shares early or late.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/clock.h"
#include "broker/store/store.h"

namespace icb {

struct ReplicaSetOptions {
  std::string self;           // this broker's id (--broker-id)
  std::string vantage = "local";  // the vantage it probes as (--vantage)
  Millis beat{2'500};         // how often it renews its entry and reads the others
  Millis expiry{5'000};       // an entry not renewed for this long is dead
  Millis settle{4'000};       // a newcomer owns keys this long after it joined (> beat + a follow pass)
};

class ReplicaSet {
 public:
  ReplicaSet(Store& store, const Clock& clock, ReplicaSetOptions options);

  // Renews this broker's entry, then reads every entry (two round trips;
  // three the first time, which reads its own entry first); entries dead
  // for ten expiries are removed. Call every options().beat.
  Status Beat();
  // Removes this broker's entry (a clean stop): the others take its share
  // at their next Beat instead of after its expiry.
  Status Leave();

  // The brokers that own keys now, sorted: those of this vantage live and
  // settled as of the last Beat; when none has settled (all joined within
  // `settle`), the live one that joined first; before the first Beat, this
  // one alone.
  std::vector<std::string> Owners() const;
  bool Owns(std::string_view key) const;
  // The owner of `key` among `owners` (rendezvous hashing); "" when none.
  static std::string OwnerOf(std::string_view key, const std::vector<std::string>& owners);

  const ReplicaSetOptions& options() const { return options_; }

 private:
  struct Entry {
    long long joined_ms = 0, expires_ms = 0;
    std::string vantage;
  };
  Store& store_;
  const Clock& clock_;
  ReplicaSetOptions options_;
  long long joined_ms_ = 0;  // this broker's, kept across beats
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // as of the last Beat
  bool beaten_ = false;
};

}  // namespace icb
