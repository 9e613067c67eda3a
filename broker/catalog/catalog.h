// Providers, their append-only SLA versions, and requirement profiles. Every
// write goes through one door: schema validation, then conversion to typed
// structs (so nothing stored would fail to load), then one atomic store write.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/iterator/indirect_iterator.hpp>
#include <nlohmann/json_fwd.hpp>

#include "broker/auth/tenant_space.h"
#include "broker/core/clock.h"
#include "broker/core/status.h"
#include "broker/model/documents.h"
#include "broker/schema/validator.h"
#include "broker/store/store.h"

namespace icb {

struct ProviderEntry {
  Provider provider;
  std::vector<SlaVersion> slas;  // ascending effective_from, then version
  // The SLA version in force at t: the latest effective_from <= t; null if none.
  const SlaVersion* InForce(TimePoint t) const;
};

// What ranking on published values reads of every provider, laid out
// contiguously: the SLA in force and its criterion scores. Valid while the
// time stays in [valid_from, valid_until) (no SLA version starts or ends).
struct RankTable {
  TimePoint valid_from = TimePoint::min(), valid_until = TimePoint::max();
  std::vector<const SlaVersion*> sla;  // per provider; null when none in force
  // The decision matrix on published values: one row per provider with an
  // SLA in force, in provider order (its index in `rows`), holding the 7
  // criterion scores and a 0 cost column (kNumColumns per row). An
  // unconstrained rank scores it as it is; a constrained one copies its rows.
  std::vector<uint32_t> rows;
  std::vector<double> cells;
  // What the hard constraints read, per provider, in flat arrays: a rank over
  // a large catalog filters it without touching the documents. Countries and
  // certifications are interned (ids in the order first seen).
  struct HeldCertification {
    uint32_t id;
    TimePoint valid_until;  // TimePoint::max() when it does not expire
  };
  std::vector<ServiceModel> service_model;
  std::vector<uint32_t> country_begin, cert_begin;  // per provider, and one past the last
  std::vector<uint32_t> countries;                  // interned, per provider from country_begin
  std::vector<HeldCertification> certs;             // first listing of each id, per provider from cert_begin
  std::map<std::string, uint32_t, std::less<>> country_ids, cert_ids;
  // Published target values of the SLA in force, kNumTargets per provider;
  // NaN where not published or no SLA is in force.
  std::vector<double> targets;
  // Priced offers, per provider from offer_begin, in listed order; each
  // offer's unit prices from its price_begin to the next offer's (one past
  // the last offer holds the end).
  struct OfferColumns {
    uint32_t currency;     // interned
    uint32_t price_begin;  // into price_units and prices
    double fixed_monthly;  // fixed fee x billing periods per month
    double egress_per_gb, egress_free_gb;
  };
  std::vector<uint32_t> offer_begin;  // per provider, and one past the last
  std::vector<OfferColumns> offers;   // and one past the last (price_begin only)
  std::vector<uint32_t> price_units;  // interned
  std::vector<double> prices;
  std::map<std::string, uint32_t, std::less<>> unit_ids, currency_ids;
  // Per provider, the weakest evidence (as its Evidence value) among its
  // claims of the essential characteristics when it claims all of them
  // supported; kUnmetClaim when one is unclaimed or claimed unsupported.
  static constexpr int kUnmetClaim = 127;
  std::vector<int8_t> claim_floor;
  bool Covers(TimePoint t) const { return t >= valid_from && t < valid_until; }
};

// An immutable view of the catalog, shared by concurrent readers (ranking).
// A snapshot's providers, each parsed once and shared, immutable, by every
// snapshot that holds it: a rebuild after one provider changed copies ten
// thousand pointers, not ten thousand documents' worth of strings (and the
// heap does not fragment under the churn). Reads as a sequence of entries.
class ProviderEntries {
 public:
  using Shared = std::shared_ptr<const ProviderEntry>;
  using const_iterator = boost::indirect_iterator<std::vector<Shared>::const_iterator>;
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const ProviderEntry& operator[](size_t i) const { return *items_[i]; }
  // The entry with this id when they are in id order (a snapshot's are).
  const Shared* Find(std::string_view id) const;
  void push_back(Shared entry) { items_.push_back(std::move(entry)); }
  void push_back(ProviderEntry entry) { items_.push_back(std::make_shared<const ProviderEntry>(std::move(entry))); }
  void reserve(size_t n) { items_.reserve(n); }
  void SortById();

 private:
  std::vector<Shared> items_;
};

struct CatalogSnapshot {
  long long version = 0;               // store counter it was built at
  ProviderEntries providers;           // ascending id
  // Stored requirement profiles, parsed: a rank by profile_id reads the same
  // consistent view as its providers, with no store round trip.
  std::map<std::string, Profile, std::less<>> profiles;
  // The provider with this id (providers are in id order); null if none.
  const ProviderEntry* FindProvider(std::string_view id) const;
  const Profile* FindProfile(std::string_view id) const {
    auto it = profiles.find(id);
    return it == profiles.end() ? nullptr : &it->second;
  }

  // The rank table for time t, built on first use and rebuilt only when t
  // leaves its validity (an SLA version coming into force), never per request.
  std::shared_ptr<const RankTable> RankTableAt(TimePoint t) const;

 private:
  mutable std::mutex table_mu_;
  mutable std::shared_ptr<const RankTable> table_;
};

struct PutResult {
  bool created;
  std::string document;  // the stored JSON text
};

// Documents kept by id (PUT replaces; GET one; GET all by id).
enum class Collection { kProviders, kProfiles, kWorkloads };

// A tenant's document as it is stored: its id, and the ids it names of the
// tenant's other objects (a workload's profile_id), in the tenant's space.
nlohmann::json ScopeDocument(Collection c, const TenantSpace& space, nlohmann::json doc);
// The answer for an id nothing is stored under ("no workload X", 404): also
// the API's for an id another tenant's form, so both read the same.
Status NoDocument(Collection c, std::string_view id);

// How often Snapshot() asks the store whether another replica changed the
// catalog. Zero (the default) asks on every call; a serving broker asks at
// most every `refresh_interval` of `clock`, so a rank request costs no store
// round trip. Writes through this Catalog are seen at once either way.
struct CatalogOptions {
  const Clock* clock = nullptr;
  Millis refresh_interval{0};
  // Checks a provider document beyond its schema before it is stored (the
  // composition root checks adapter references with the adapter registry
  // and the credentials); errors point into the document. Unset: none.
  std::function<Status(const nlohmann::json&)> check_provider;
};

class Catalog {
 public:
  Catalog(Store& store, std::shared_ptr<const SchemaSet> schemas, CatalogOptions options = {});

  // The id in the URL wins: a document without "id" gets it; a different one
  // is 400 at /id. Profiles and workloads take a tenant's stored id
  // ("acme~web", tenant_space.h): the document is checked as the tenant
  // wrote it and stored with its ids scoped (ScopeDocument).
  Result<PutResult> Put(Collection c, std::string_view id, const nlohmann::json& doc);
  Result<std::string> Get(Collection c, std::string_view id);
  Result<std::vector<std::string>> List(Collection c);  // JSON texts, ascending id
  // A counter every write to the collection increments (any replica's):
  // unchanged since the last List means the same documents. Read it before
  // listing, so a racing write shows as a change next time.
  Result<long long> Version(Collection c);
  // A page of them: the documents whose ids sort after `after` ("": from the
  // first), at most `limit`, read without the rest of the collection.
  struct Page {
    std::vector<std::string> documents;  // JSON texts, ascending id
    std::optional<std::string> next;     // the cursor of the following page
  };
  // `space`: whose (profiles and workloads are kept per tenant); `after` is
  // an id in it.
  Result<Page> ListPage(Collection c, std::string_view after, size_t limit, const TenantSpace& space = TenantSpace::Default());
  // Lists the documents a store holds from before pages read an index of
  // ids (once per store; later writes keep the index). A document deleted
  // by another broker while this runs may stay listed in the index: pages
  // skip it (a page then holds fewer than its limit).
  Status IndexStored();
  // NotFound when there is no such document.
  Status Delete(Collection c, std::string_view id);

  Result<PutResult> PutProvider(std::string_view id, const nlohmann::json& doc) { return Put(Collection::kProviders, id, doc); }
  Result<std::string> GetProvider(std::string_view id) { return Get(Collection::kProviders, id); }
  Result<std::vector<std::string>> ListProviders() { return List(Collection::kProviders); }

  // AlreadyExists (409) for a version the provider has; NotFound for an unknown provider.
  Result<std::string> AppendSla(std::string_view provider, const nlohmann::json& doc);
  Result<std::vector<std::string>> ListSlas(std::string_view provider);  // ascending effective_from
  Result<std::string> GetSla(std::string_view provider, std::string_view version);
  Result<std::string> SlaInForce(std::string_view provider, TimePoint t);

  Result<PutResult> PutProfile(std::string_view id, const nlohmann::json& doc) { return Put(Collection::kProfiles, id, doc); }
  Result<std::string> GetProfile(std::string_view id) { return Get(Collection::kProfiles, id); }
  Result<std::vector<std::string>> ListProfiles() { return List(Collection::kProfiles); }

  // Cheap when nothing changed (one counter read, or none within the refresh
  // interval); rebuilt after any write, also one made by another broker
  // replica on the same Redis (seen within the refresh interval).
  Result<std::shared_ptr<const CatalogSnapshot>> Snapshot();

  const SchemaSet& schemas() const { return *schemas_; }

 private:
  Result<std::vector<std::pair<SlaVersion, std::string>>> SortedSlas(std::string_view provider);
  void MarkWritten();

  Store& store_;
  std::shared_ptr<const SchemaSet> schemas_;
  CatalogOptions options_;
  std::mutex snapshot_mu_;
  std::shared_ptr<const CatalogSnapshot> snapshot_;
  std::map<std::string, std::string, std::less<>> snapshot_stamps_;  // kCatalogStampsKey as snapshot_ was built
  TimePoint checked_at_{};  // when the version counter was last read
  // This Catalog's writes, counted, and how many of them the counter read at
  // checked_at_ is known to include: a reader that read the counter before a
  // write finished must not mark that write seen.
  unsigned long long writes_ = 0, writes_seen_ = 0;
};

// The check every document passes before it is stored or called valid:
// its JSON Schema, then the typed conversion's own rules (dates, bounds).
Status CheckDocument(const SchemaSet& schemas, std::string_view schema, const nlohmann::json& doc);
Status CheckDocumentText(const SchemaSet& schemas, std::string_view schema, std::string_view text);

// Storage keys, exposed for tests and tools.
inline constexpr std::string_view kProvidersKey = "icb:providers";
inline constexpr std::string_view kProfilesKey = "icb:profiles";
inline constexpr std::string_view kWorkloadsKey = "icb:workloads";
inline constexpr std::string_view kCatalogVersionKey = "icb:catalog:version";
inline constexpr std::string_view kCatalogStampsKey = "icb:catalog:stamps";
inline constexpr std::string_view kWorkloadsVersionKey = "icb:workloads:version";
inline constexpr std::string_view kCatalogIndexedKey = "icb:catalog:indexed";  // set once IndexStored has run
std::string SlaKey(std::string_view provider);

}  // namespace icb
