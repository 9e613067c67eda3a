// Tenants' key spaces. A tenant's profiles, workloads and operations are
// stored under ids prefixed with its name and '~' ("acme~web"), which no id
// a client sends may contain (ids.h): the same id in two tenants names two
// things, and every part of the broker below the API (catalog, orchestrator,
// audit trail) keys on the stored id without knowing about tenants. The
// tenant "default" keeps ids as they are, so what a broker stored before
// tenants existed is the default tenant's, and a broker without keys serves
// it. Operations the broker starts across tenants (a provider's recovery)
// are in the broker's own space, "~".
//
// The API maps at its edge: ids a caller names become stored ids
// (Scope::Stored), and its tenant's prefix is taken out of every answer
// (TenantSpace::Unscope).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace icb {

inline constexpr char kTenantSeparator = '~';
inline constexpr std::string_view kDefaultTenant = "default";

class TenantSpace {
 public:
  static TenantSpace Default() { return TenantSpace(""); }
  // The broker's own operations across tenants.
  static TenantSpace Broker() { return TenantSpace(std::string(1, kTenantSeparator)); }
  // A tenant's ("default": Default()); `tenant` is a valid id.
  static TenantSpace OfTenant(std::string_view tenant);
  // The space a stored id is in.
  static TenantSpace Of(std::string_view stored_id);

  // "" (default), "acme~", or "~" (the broker's).
  const std::string& prefix() const { return prefix_; }
  bool is_default() const { return prefix_.empty(); }
  bool is_broker() const { return prefix_.size() == 1; }
  bool operator==(const TenantSpace& o) const { return prefix_ == o.prefix_; }
  bool operator!=(const TenantSpace& o) const { return prefix_ != o.prefix_; }

  std::string Scoped(std::string_view local_id) const { return prefix_ + std::string(local_id); }
  bool Holds(std::string_view stored_id) const { return Of(stored_id) == *this; }
  // A store key per space for what is indexed per tenant ("icb:workloads:ids"
  // stays as it is for the default space; "icb:t:acme:workloads:ids").
  std::string IndexKey(std::string_view default_key) const;
  // `text` with this space's prefix taken out of every id that carries it
  // (where the prefix starts an id: after a character no id contains).
  std::string Unscope(std::string_view text) const;

 private:
  explicit TenantSpace(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string prefix_;
};

// What one caller may see and name: its tenant's space, and the broker's
// own (recoveries) when it may see across tenants (an admin, or a broker
// without keys).
class Scope {
 public:
  Scope(TenantSpace own, bool sees_broker) : own_(std::move(own)), sees_broker_(sees_broker) {}

  const TenantSpace& own() const { return own_; }
  bool sees_broker() const { return sees_broker_; }
  // Whether an object under `stored_id` is the caller's to see.
  bool Sees(std::string_view stored_id) const;
  // The stored id of the one a caller names, or nullopt when the name
  // cannot be the caller's (another space's form): callers answer that as
  // they answer a missing id, so it tells nothing.
  std::optional<std::string> Stored(std::string_view local_id) const;
  // The spaces it sees, its own first.
  std::vector<TenantSpace> Spaces() const;

 private:
  TenantSpace own_;
  bool sees_broker_;
};

}  // namespace icb
