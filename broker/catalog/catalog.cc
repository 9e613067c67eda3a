#include "broker/catalog/catalog.h"

#include <algorithm>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "broker/auth/tenant_space.h"
#include "broker/core/ids.h"
#include "broker/core/paging.h"
#include "broker/core/time.h"
#include "broker/model/workload.h"

namespace icb {

using nlohmann::json;

std::string SlaKey(std::string_view provider) { return "icb:slas:" + std::string(provider); }

namespace {

// Each provider's and profile's field in kCatalogStampsKey: a fresh token
// written in the same batch as any change to it (its document, an SLA), so a
// snapshot rebuild reads again only what changed since the last one (also
// when another replica wrote it).
std::string StampField(Collection c, std::string_view id) {
  return (c == Collection::kProviders ? "provider:" : "profile:") + std::string(id);
}

std::string NewStamp() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

}  // namespace

const SlaVersion* ProviderEntry::InForce(TimePoint t) const {
  const SlaVersion* found = nullptr;
  for (const auto& s : slas) {
    if (s.effective_from > t) break;
    found = &s;
  }
  return found;
}

const ProviderEntries::Shared* ProviderEntries::Find(std::string_view id) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), id, [](const Shared& e, std::string_view v) { return e->provider.id < v; });
  return it != items_.end() && (*it)->provider.id == id ? &*it : nullptr;
}

void ProviderEntries::SortById() {
  std::sort(items_.begin(), items_.end(), [](const Shared& a, const Shared& b) { return a->provider.id < b->provider.id; });
}

const ProviderEntry* CatalogSnapshot::FindProvider(std::string_view id) const {
  const ProviderEntries::Shared* found = providers.Find(id);
  return found ? found->get() : nullptr;
}

std::shared_ptr<const RankTable> CatalogSnapshot::RankTableAt(TimePoint t) const {
  {
    std::lock_guard lock(table_mu_);
    if (table_ && table_->Covers(t)) return table_;
  }
  auto table = std::make_shared<RankTable>();
  table->sla.reserve(providers.size());
  table->cells.reserve(providers.size() * kNumColumns);
  table->targets.assign(providers.size() * kNumTargets, std::numeric_limits<double>::quiet_NaN());
  auto intern = [](std::map<std::string, uint32_t, std::less<>>& ids, const std::string& key) {
    return ids.try_emplace(key, static_cast<uint32_t>(ids.size())).first->second;
  };
  for (const auto& entry : providers) {
    const Provider& p = entry.provider;
    table->service_model.push_back(p.service_model);
    table->offer_begin.push_back(static_cast<uint32_t>(table->offers.size()));
    for (const auto& offer : p.offers) {
      table->offers.push_back({intern(table->currency_ids, offer.currency), static_cast<uint32_t>(table->prices.size()),
                               offer.fixed_fee * PeriodsPerMonth(offer.billing_period), offer.egress_per_gb, offer.egress_free_gb});
      for (const auto& [unit, price] : offer.unit_prices) {
        table->price_units.push_back(intern(table->unit_ids, unit));
        table->prices.push_back(price);
      }
    }
    int floor = 0;
    for (const auto& claim : p.characteristics)
      floor = !claim || !claim->supported ? RankTable::kUnmetClaim : std::max(floor, static_cast<int>(claim->evidence));
    table->claim_floor.push_back(static_cast<int8_t>(floor));
    table->country_begin.push_back(static_cast<uint32_t>(table->countries.size()));
    for (const auto& r : p.regions) table->countries.push_back(intern(table->country_ids, r.country));
    table->cert_begin.push_back(static_cast<uint32_t>(table->certs.size()));
    for (const auto& c : p.certifications) {
      uint32_t id = intern(table->cert_ids, c.id);
      bool seen = std::any_of(table->certs.begin() + table->cert_begin.back(), table->certs.end(), [&](const auto& h) { return h.id == id; });
      if (!seen) table->certs.push_back({id, c.valid_until.value_or(TimePoint::max())});
    }
    const SlaVersion* in_force = nullptr;
    for (const auto& s : entry.slas) {
      if (s.effective_from > t) {
        table->valid_until = std::min(table->valid_until, s.effective_from);
        break;
      }
      in_force = &s;
    }
    if (in_force) table->valid_from = std::max(table->valid_from, in_force->effective_from);
    table->sla.push_back(in_force);
    if (!in_force) continue;
    for (int k = 0; k < kNumTargets; ++k)
      if (in_force->targets[k]) table->targets[(table->sla.size() - 1) * kNumTargets + k] = *in_force->targets[k];
    table->rows.push_back(static_cast<uint32_t>(table->sla.size() - 1));
    table->cells.insert(table->cells.end(), in_force->criterion_scores.begin(), in_force->criterion_scores.end());
    table->cells.resize(table->cells.size() + (kNumColumns - kNumCriteria), 0.0);  // cost
  }
  table->country_begin.push_back(static_cast<uint32_t>(table->countries.size()));
  table->cert_begin.push_back(static_cast<uint32_t>(table->certs.size()));
  table->offer_begin.push_back(static_cast<uint32_t>(table->offers.size()));
  table->offers.push_back({0, static_cast<uint32_t>(table->prices.size()), 0, 0, 0});
  std::lock_guard lock(table_mu_);
  table_ = table;
  return table;
}

namespace {

// The id in the URL against the document's own.
Status CheckPathId(std::string_view path_id, const json& doc) {
  if (doc.is_object() && doc.contains("id") && doc["id"].is_string() && doc["id"].get<std::string>() != path_id) {
    return InvalidArgument("id mismatch", {{"/id", "id \"" + doc["id"].get<std::string>() + "\" differs from \"" + std::string(path_id) + "\" in the URL"}});
  }
  return Status::Ok();
}

// Orders SLA versions by effective_from, then version label, so "in force" is well defined.
bool SlaBefore(const SlaVersion& a, const SlaVersion& b) {
  return a.effective_from != b.effective_from ? a.effective_from < b.effective_from : a.version < b.version;
}

}  // namespace

Status CheckDocument(const SchemaSet& schemas, std::string_view schema, const json& doc) {
  if (schema == "event.json" && doc.is_object() && doc.contains("kind") && doc["kind"].is_string()) {
    // Validate against the definition the kind names, so errors speak of that kind only.
    std::string definition = "event.json#/definitions/" + doc["kind"].get<std::string>();
    if (schemas.Has(definition)) return schemas.Validate(definition, doc);
  }
  ICB_RETURN_IF_ERROR(schemas.Validate(schema, doc));
  if (schema == "provider.json") return ProviderFromJson(doc).status();
  if (schema == "sla.json") return SlaFromJson(doc).status();
  if (schema == "profile.json") return ProfileFromJson(doc).status();
  if (schema == "workload.json") return WorkloadFromJson(doc).status();
  return Status::Ok();
}

Status CheckDocumentText(const SchemaSet& schemas, std::string_view schema, std::string_view text) {
  ICB_ASSIGN_OR_RETURN(json doc, ParseJson(text));
  return CheckDocument(schemas, schema, doc);
}

Catalog::Catalog(Store& store, std::shared_ptr<const SchemaSet> schemas, CatalogOptions options)
    : store_(store), schemas_(std::move(schemas)), options_(options) {}

namespace {

struct CollectionSpec {
  std::string_view key;
  std::string_view schema;
  std::string_view noun;
  bool in_snapshot;  // a write must invalidate ranking snapshots
  // Incremented by every write, so a reader of the whole collection learns
  // with one counter read that nothing changed (also when another replica
  // wrote).
  std::string_view version_key;
  // The ids in byte order, written with the documents: a page reads the
  // ids it shows, not every id (10,000 workloads: p99 19 ms a page).
  std::string_view index_key;
  // Kept per tenant (tenant_space.h): profiles and workloads. Providers are
  // one catalog every tenant shares.
  bool tenanted;
};

const CollectionSpec& Spec(Collection c) {
  static const CollectionSpec kProviders{kProvidersKey, "provider.json", "provider", true, kCatalogVersionKey, "icb:providers:ids", false};
  static const CollectionSpec kProfiles{kProfilesKey, "profile.json", "profile", true, kCatalogVersionKey, "icb:profiles:ids", true};
  static const CollectionSpec kWorkloads{kWorkloadsKey, "workload.json", "workload", false, kWorkloadsVersionKey, "icb:workloads:ids", true};
  switch (c) {
    case Collection::kProviders: return kProviders;
    case Collection::kProfiles: return kProfiles;
    case Collection::kWorkloads: return kWorkloads;
  }
  return kProviders;
}

// The local id of a stored one ("web" of "acme~web") when it is a valid id
// of a space the collection has (providers: the default one only), else
// nullopt: nothing is stored under it.
std::optional<std::string_view> LocalIdOf(const CollectionSpec& spec, std::string_view id) {
  const TenantSpace space = TenantSpace::Of(id);
  if (!space.is_default() && (!spec.tenanted || space.is_broker())) return std::nullopt;
  std::string_view local = id.substr(space.prefix().size());
  if (!IsValidId(local)) return std::nullopt;
  return local;
}

}  // namespace

Status NoDocument(Collection c, std::string_view id) { return NotFound("no " + std::string(Spec(c).noun) + " " + std::string(id)); }

json ScopeDocument(Collection c, const TenantSpace& space, json doc) {
  if (!doc.is_object() || space.is_default()) return doc;
  if (doc.contains("id") && doc["id"].is_string()) doc["id"] = space.Scoped(doc["id"].get<std::string>());
  if (c == Collection::kWorkloads && doc.contains("profile_id") && doc["profile_id"].is_string())
    doc["profile_id"] = space.Scoped(doc["profile_id"].get<std::string>());
  return doc;
}

Result<PutResult> Catalog::Put(Collection c, std::string_view id, const json& doc) {
  const CollectionSpec& spec = Spec(c);
  const std::optional<std::string_view> local = LocalIdOf(spec, id);
  if (!local) return NoDocument(c, id);
  const TenantSpace space = TenantSpace::Of(id);
  // Checked as the tenant wrote it, stored with its ids scoped.
  ICB_RETURN_IF_ERROR(CheckPathId(*local, doc));
  json stored = doc;
  if (stored.is_object() && !stored.contains("id")) stored["id"] = std::string(*local);
  ICB_RETURN_IF_ERROR(CheckDocument(*schemas_, spec.schema, stored));
  if (c == Collection::kProviders && options_.check_provider) ICB_RETURN_IF_ERROR(options_.check_provider(stored));
  stored = ScopeDocument(c, space, std::move(stored));
  std::string text = stored.dump();
  WriteBatch batch;
  batch.HashSet(std::string(spec.key), std::string(id), text).Incr(std::string(spec.version_key)).IndexAdd(space.IndexKey(spec.index_key), std::string(id));
  if (spec.in_snapshot) batch.HashSet(std::string(kCatalogStampsKey), StampField(c, id), NewStamp());
  ICB_ASSIGN_OR_RETURN(auto results, store_.Apply(batch));
  if (spec.in_snapshot) MarkWritten();
  return PutResult{results[0] == 1, std::move(text)};
}

Result<std::string> Catalog::Get(Collection c, std::string_view id) {
  const CollectionSpec& spec = Spec(c);
  if (!LocalIdOf(spec, id)) return NoDocument(c, id);
  ICB_ASSIGN_OR_RETURN(auto v, store_.HashGet(spec.key, id));
  if (!v) return NoDocument(c, id);
  return *v;
}

Status Catalog::Delete(Collection c, std::string_view id) {
  const CollectionSpec& spec = Spec(c);
  if (!LocalIdOf(spec, id)) return NoDocument(c, id);
  WriteBatch batch;
  batch.HashDelete(std::string(spec.key), std::string(id))
      .Incr(std::string(spec.version_key))
      .IndexRemove(TenantSpace::Of(id).IndexKey(spec.index_key), std::string(id));
  if (spec.in_snapshot) batch.HashDelete(std::string(kCatalogStampsKey), StampField(c, id));
  ICB_ASSIGN_OR_RETURN(auto results, store_.Apply(batch));
  if (spec.in_snapshot) MarkWritten();
  if (results[0] == 0) return NoDocument(c, id);
  return Status::Ok();
}

Result<long long> Catalog::Version(Collection c) { return store_.GetCounter(Spec(c).version_key); }

Result<std::vector<std::string>> Catalog::List(Collection c) {
  ICB_ASSIGN_OR_RETURN(auto all, store_.HashGetAll(Spec(c).key));
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (auto& [id, text] : all) out.push_back(std::move(text));
  return out;
}

Result<Catalog::Page> Catalog::ListPage(Collection c, std::string_view after, size_t limit, const TenantSpace& space) {
  const CollectionSpec& spec = Spec(c);
  const std::string from = after.empty() ? std::string() : space.Scoped(after);
  ICB_ASSIGN_OR_RETURN(auto ids, store_.IndexRange(space.IndexKey(spec.index_key), from, limit + 1));
  IdPage ids_page = PageOfOneMore(std::move(ids), limit);
  Page page{{}, std::move(ids_page.next)};
  ICB_ASSIGN_OR_RETURN(auto texts, store_.HashGetMany(spec.key, ids_page.ids));
  for (auto& text : texts) {
    if (text) page.documents.push_back(std::move(*text));  // else deleted between the two reads
  }
  return page;
}

Status Catalog::IndexStored() {
  ICB_ASSIGN_OR_RETURN(long long indexed, store_.GetCounter(kCatalogIndexedKey));
  if (indexed > 0) return Status::Ok();
  for (Collection c : {Collection::kProviders, Collection::kProfiles, Collection::kWorkloads}) {
    const CollectionSpec& spec = Spec(c);
    ICB_ASSIGN_OR_RETURN(auto ids, store_.HashKeys(spec.key));
    WriteBatch batch;
    for (auto& id : ids) batch.IndexAdd(TenantSpace::Of(id).IndexKey(spec.index_key), std::move(id));
    if (!batch.ops().empty()) ICB_RETURN_IF_ERROR(store_.Apply(batch).status());
  }
  WriteBatch done;
  done.Incr(std::string(kCatalogIndexedKey));
  return store_.Apply(done).status();
}

Result<std::string> Catalog::AppendSla(std::string_view provider, const json& doc) {
  ICB_RETURN_IF_ERROR(GetProvider(provider).status());
  ICB_RETURN_IF_ERROR(schemas_->Validate("sla.json", doc));
  ICB_ASSIGN_OR_RETURN(SlaVersion typed, SlaFromJson(doc));
  std::string text = doc.dump();
  WriteBatch batch;
  batch.HashSetIfAbsent(SlaKey(provider), typed.version, text)
      .Incr(std::string(kCatalogVersionKey))
      .HashSet(std::string(kCatalogStampsKey), StampField(Collection::kProviders, provider), NewStamp());
  ICB_ASSIGN_OR_RETURN(auto results, store_.Apply(batch));
  MarkWritten();
  if (results[0] == 0) {
    return AlreadyExists("provider " + std::string(provider) + " already has SLA version " + typed.version +
                         "; versions are append-only, publish a new version instead");
  }
  return text;
}

Result<std::vector<std::pair<SlaVersion, std::string>>> Catalog::SortedSlas(std::string_view provider) {
  ICB_RETURN_IF_ERROR(GetProvider(provider).status());
  ICB_ASSIGN_OR_RETURN(auto all, store_.HashGetAll(SlaKey(provider)));
  std::vector<std::pair<SlaVersion, std::string>> typed;
  for (auto& [version, text] : all) {
    auto parsed = ParseJson(text);
    if (!parsed.ok()) return Internal("stored SLA " + version + " is corrupt");
    ICB_ASSIGN_OR_RETURN(SlaVersion s, SlaFromJson(*parsed));
    typed.emplace_back(std::move(s), std::move(text));
  }
  std::sort(typed.begin(), typed.end(), [](const auto& a, const auto& b) { return SlaBefore(a.first, b.first); });
  return typed;
}

Result<std::vector<std::string>> Catalog::ListSlas(std::string_view provider) {
  ICB_ASSIGN_OR_RETURN(auto sorted, SortedSlas(provider));
  std::vector<std::string> out;
  for (auto& [sla, text] : sorted) out.push_back(std::move(text));
  return out;
}

Result<std::string> Catalog::GetSla(std::string_view provider, std::string_view version) {
  ICB_RETURN_IF_ERROR(GetProvider(provider).status());
  ICB_ASSIGN_OR_RETURN(auto v, store_.HashGet(SlaKey(provider), version));
  if (!v) return NotFound("provider " + std::string(provider) + " has no SLA version " + std::string(version));
  return *v;
}

Result<std::string> Catalog::SlaInForce(std::string_view provider, TimePoint t) {
  ICB_ASSIGN_OR_RETURN(auto sorted, SortedSlas(provider));
  const std::string* found = nullptr;
  for (const auto& [sla, text] : sorted) {
    if (sla.effective_from > t) break;
    found = &text;
  }
  if (!found) return NotFound("provider " + std::string(provider) + " has no SLA in force at " + FormatRfc3339(t));
  return *found;
}

void Catalog::MarkWritten() {
  std::lock_guard lock(snapshot_mu_);
  ++writes_;
}

Result<std::shared_ptr<const CatalogSnapshot>> Catalog::Snapshot() {
  TimePoint now{};
  unsigned long long writes = 0;
  {
    std::lock_guard lock(snapshot_mu_);
    if (options_.clock && options_.refresh_interval > Millis(0)) {
      now = options_.clock->Now();
      if (snapshot_ && writes_seen_ == writes_ && now >= checked_at_ && now - checked_at_ < options_.refresh_interval) return snapshot_;
    }
    writes = writes_;  // every write counted here has bumped the counter read next
  }
  ICB_ASSIGN_OR_RETURN(long long version, store_.GetCounter(kCatalogVersionKey));
  std::lock_guard lock(snapshot_mu_);
  checked_at_ = now;
  writes_seen_ = std::max(writes_seen_, writes);
  if (snapshot_ && snapshot_->version == version) return snapshot_;
  // Tagged with the counter read before the data: a write racing with the
  // rebuild bumps the counter again, so the next call rebuilds once more.
  // Only what changed since the last snapshot (its stamp differs) is read
  // and parsed again; the rest is copied from it. Stamps are read before the
  // documents, so a racing write leaves a stale stamp beside newer data at
  // worst, which only costs one more read next time.
  auto snap = std::make_shared<CatalogSnapshot>();
  snap->version = version;
  ICB_ASSIGN_OR_RETURN(auto stamp_list, store_.HashGetAll(kCatalogStampsKey));
  std::map<std::string, std::string, std::less<>> stamps(std::make_move_iterator(stamp_list.begin()), std::make_move_iterator(stamp_list.end()));
  auto unchanged = [&](Collection c, const std::string& id) {
    if (!snapshot_) return false;
    const std::string field = StampField(c, id);
    auto now_it = stamps.find(field);
    auto then_it = snapshot_stamps_.find(field);
    const bool now_has = now_it != stamps.end(), then_has = then_it != snapshot_stamps_.end();
    return now_has == then_has && (!now_has || now_it->second == then_it->second);
  };

  ICB_ASSIGN_OR_RETURN(auto provider_ids, store_.HashKeys(kProvidersKey));
  std::sort(provider_ids.begin(), provider_ids.end());
  std::vector<ProviderEntries::Shared> kept(provider_ids.size());  // shared with the last snapshot
  std::vector<std::string> to_read;
  for (size_t i = 0; i < provider_ids.size(); ++i) {
    const ProviderEntries::Shared* before = snapshot_ ? snapshot_->providers.Find(provider_ids[i]) : nullptr;
    if (before && unchanged(Collection::kProviders, provider_ids[i])) kept[i] = *before;
    else to_read.push_back(provider_ids[i]);
  }
  ICB_ASSIGN_OR_RETURN(auto texts, store_.HashGetMany(kProvidersKey, to_read));
  std::map<std::string_view, ProviderEntry> read;
  for (size_t i = 0; i < to_read.size(); ++i) {
    if (!texts[i]) continue;  // deleted since the ids were read
    const std::string& id = to_read[i];
    auto parsed = ParseJson(*texts[i]);
    if (!parsed.ok()) return Internal("stored provider " + id + " is corrupt");
    ICB_ASSIGN_OR_RETURN(Provider p, ProviderFromJson(*parsed));
    ProviderEntry entry{std::move(p), {}};
    ICB_ASSIGN_OR_RETURN(auto slas, store_.HashGetAll(SlaKey(id)));
    for (const auto& [v, sla_text] : slas) {
      auto sla_json = ParseJson(sla_text);
      if (!sla_json.ok()) return Internal("stored SLA " + id + "/" + v + " is corrupt");
      ICB_ASSIGN_OR_RETURN(SlaVersion s, SlaFromJson(*sla_json));
      entry.slas.push_back(std::move(s));
    }
    std::sort(entry.slas.begin(), entry.slas.end(), SlaBefore);
    read.emplace(id, std::move(entry));
  }
  snap->providers.reserve(provider_ids.size());
  for (size_t i = 0; i < provider_ids.size(); ++i) {
    if (kept[i]) snap->providers.push_back(std::move(kept[i]));
    else if (auto it = read.find(provider_ids[i]); it != read.end()) snap->providers.push_back(std::move(it->second));
  }

  ICB_ASSIGN_OR_RETURN(auto profile_ids, store_.HashKeys(kProfilesKey));
  std::vector<std::string> profiles_to_read;
  for (auto& id : profile_ids) {
    const Profile* before = snapshot_ ? snapshot_->FindProfile(id) : nullptr;
    if (before && unchanged(Collection::kProfiles, id)) snap->profiles.emplace(id, *before);
    else profiles_to_read.push_back(std::move(id));
  }
  ICB_ASSIGN_OR_RETURN(auto profile_texts, store_.HashGetMany(kProfilesKey, profiles_to_read));
  for (size_t i = 0; i < profiles_to_read.size(); ++i) {
    if (!profile_texts[i]) continue;
    auto parsed = ParseJson(*profile_texts[i]);
    if (!parsed.ok()) return Internal("stored profile " + profiles_to_read[i] + " is corrupt");
    ICB_ASSIGN_OR_RETURN(Profile p, ProfileFromJson(*parsed));
    snap->profiles.emplace(profiles_to_read[i], std::move(p));
  }
  snapshot_stamps_ = std::move(stamps);
  snapshot_ = snap;
  return snapshot_;
}

}  // namespace icb
