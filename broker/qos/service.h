// Measured QoS as the API and CLI use it: ingestion of sample batches,
// events, metrics for a window and the monthly SLA report with credits.
#pragma once

#include <atomic>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "broker/catalog/catalog.h"
#include "broker/core/metrics.h"
#include "broker/core/time.h"
#include "broker/qos/event_store.h"
#include "broker/qos/metrics.h"
#include "broker/qos/sample_store.h"
#include "broker/ranking/ranker.h"

namespace icb {

// Per provider, a value computed at most once a minute (of the caller's
// `now`), shared by the broker's request threads.
template <typename V>
class MinuteCache {
 public:
  // The fresh cached value, else `compute(entry)`, kept for the next minute.
  template <typename Compute>
  Result<V> Get(const ProviderEntry& entry, TimePoint now, const Compute& compute) {
    const std::string& id = entry.provider.id;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(id);
      if (it != entries_.end() && now >= it->second.first && now - it->second.first < std::chrono::minutes(1)) return it->second.second;
    }
    ICB_ASSIGN_OR_RETURN(V value, compute(entry));
    std::lock_guard lock(mu_);
    entries_[id] = {now, value};
    return value;
  }
  void Forget(const std::string& id) {
    std::lock_guard lock(mu_);
    entries_.erase(id);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<TimePoint, V>, std::less<>> entries_;
};

// A whole-catalog value (every provider's credits, observations or
// measurements) for the serving snapshot: one lookup per rank request instead
// of a locked per-provider lookup and a copy of each entry. Kept while the
// snapshot is the same object (held here, so its address is not reused), the
// QoS generation is unchanged, and for at most a minute of `now`. The
// broker refreshes it in the background (Refresh, well within the minute)
// and swaps the new value in whole, so a rank request never computes it
// unless the catalog or the events changed.
template <typename T>
class CatalogMemo {
 public:
  template <typename Compute>
  Result<std::shared_ptr<const T>> Get(const std::shared_ptr<const CatalogSnapshot>& snapshot, uint64_t generation, TimePoint now,
                                       const Compute& compute) {
    auto fresh = [&] { return value_ && snapshot_ == snapshot && generation_ == generation && now >= at_ && now - at_ < std::chrono::minutes(1); };
    {
      std::lock_guard lock(mu_);
      if (fresh()) return value_;
    }
    // One thread computes. When only the minute is up (same snapshot and
    // generation), the others answer from the previous value meanwhile
    // rather than queue behind it; otherwise they wait for the new one.
    std::unique_lock computing(compute_mu_, std::try_to_lock);
    if (!computing.owns_lock()) {
      {
        std::lock_guard lock(mu_);
        if (value_ && snapshot_ == snapshot && generation_ == generation) return value_;
      }
      computing.lock();
    }
    {
      std::lock_guard lock(mu_);
      if (fresh()) return value_;
    }
    ICB_ASSIGN_OR_RETURN(T computed, compute(*snapshot));
    auto shared = std::make_shared<const T>(std::move(computed));
    std::lock_guard lock(mu_);
    snapshot_ = snapshot;
    generation_ = generation;
    at_ = now;
    value_ = shared;
    return shared;
  }

  // Computes the value for `snapshot` now, whatever its age, and swaps it
  // in whole; requests meanwhile answer from the previous one.
  template <typename Compute>
  Status Refresh(const std::shared_ptr<const CatalogSnapshot>& snapshot, uint64_t generation, TimePoint now, const Compute& compute) {
    std::lock_guard computing(compute_mu_);
    ICB_ASSIGN_OR_RETURN(T computed, compute(*snapshot));
    auto shared = std::make_shared<const T>(std::move(computed));
    std::lock_guard lock(mu_);
    snapshot_ = snapshot;
    generation_ = generation;
    at_ = now;
    value_ = std::move(shared);
    return Status::Ok();
  }

 private:
  std::mutex mu_, compute_mu_;
  std::shared_ptr<const CatalogSnapshot> snapshot_;
  uint64_t generation_ = 0;
  TimePoint at_{};
  std::shared_ptr<const T> value_;
};

// How long the broker keeps samples, by its clock: raw for `retention.raw`,
// then rolled up per minute (qos/rollup.h) until `retention.rolled_up`.
struct SampleKeeping {
  const Clock& clock;
  SampleStore::Retention retention;
};

class QosService {
 public:
  // Without `keeping` (offline tools reading files of any age) every sample
  // is accepted and none is rolled up.
  QosService(Store& store, Catalog& catalog, std::optional<SampleKeeping> keeping = std::nullopt);

  // Validates the whole batch (schema, then every sample's provider exists),
  // then stores it at once. One bad sample rejects the batch: nothing stored.
  Result<SampleStore::AppendResult> Ingest(const nlohmann::json& body);
  Result<SampleStore::AppendResult> IngestText(std::string_view body);  // the request body, parsed streaming
  Result<SampleStore::AppendResult> IngestSamples(const std::vector<QosSample>& samples);
  // Counts the samples stored from now on (duplicates not), pushed and probed alike.
  void CountIngested(Counter* ingested) { ingested_ = ingested; }

  // Rolls up every catalog provider's samples past the raw retention and
  // forgets those past the rollups' (SampleStore::Maintain), at most
  // `most_days` series-days per provider. Nothing without `keeping`.
  Result<SampleStore::MaintainResult> KeepSamples(size_t most_days = 256);

  EventStore& events() { return events_; }
  // Adds an event and forgets what was cached from this provider's events.
  Result<EventStore::Added> AddEvent(std::string_view provider, const nlohmann::json& doc);

  // Metrics of a provider. Query: month=YYYY-MM (calendar month in the time
  // zone of the SLA in force, UTC without one) or from=&to= (RFC 3339).
  Result<std::string> MetricsJson(std::string_view provider, const std::map<std::string, std::string>& query);
  // SLA report for month=YYYY-MM; billed=a,b,c are the customer's billed
  // amounts of the last (up to) three months, for fee_basis average_last_3_months.
  Result<std::string> SlaReportJson(std::string_view provider, const std::map<std::string, std::string>& query);

  // Loads samples around the window (far enough back to see whole outages)
  // and events, and computes.
  Result<Metrics> Compute(std::string_view provider, Window window, int notice_days);

  // What was measured of every provider over the 30 days before `now`, for
  // ranking on evidence. Cached per provider for a minute (of `now`).
  Result<MeasuredMap> Measured(const CatalogSnapshot& catalog, TimePoint now);

  struct MonthCredit {
    std::string month;  // YYYY-MM, in the time zone of the SLA that governed it
    std::string sla_version;
    double availability_percent = 100;
    double coverage_percent = 0;
    double credit_percent = 0;
    std::optional<Money> monthly_fee;  // the SLA's, when it states one
  };
  // The `months` complete calendar months before `now`, oldest first; months
  // without an SLA are left out.
  Result<std::vector<MonthCredit>> RecentCredits(const ProviderEntry& entry, TimePoint now, int months = 3);
  // Expected credit per provider, % of the bill: the mean over those of the
  // last three months measured with coverage >= kMinMeasuredCoverage.
  // Providers without such a month are left out.
  // Cached per provider for a minute (of `now`).
  Result<CreditMap> ExpectedCredits(const CatalogSnapshot& catalog, TimePoint now);
  // Characteristic checks per provider (observed evidence for the
  // cloud-washing check). Cached a minute (of `now`), or until an event is added here.
  Result<ObservationMap> Observations(const CatalogSnapshot& catalog, TimePoint now);

  // The same three for the serving snapshot, shared between requests.
  Result<std::shared_ptr<const MeasuredMap>> MeasuredShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now);
  Result<std::shared_ptr<const CreditMap>> ExpectedCreditsShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now);
  Result<std::shared_ptr<const ObservationMap>> ObservationsShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now);
  // Computes the three for `s` now and swaps them in (the broker's
  // background task, every kRankEvidenceRefresh): requests never wait for
  // the minute's recomputation.
  Status RefreshShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now);
  static constexpr std::chrono::seconds kRankEvidenceRefresh{20};

 private:
  Counter* ingested_ = nullptr;
  Result<std::shared_ptr<const CatalogSnapshot>> Entry(std::string_view provider, const ProviderEntry** entry);

  Catalog& catalog_;
  std::optional<SampleKeeping> keeping_;
  SampleStore samples_;
  EventStore events_;
  MinuteCache<std::shared_ptr<const MeasuredTargets>> measured_;  // null: nothing measured
  MinuteCache<std::optional<double>> credits_;
  MinuteCache<std::vector<CharacteristicCheckEvent>> observations_;
  std::atomic<uint64_t> generation_{0};  // bumped whenever a provider's caches are forgotten
  CatalogMemo<MeasuredMap> measured_memo_;
  CatalogMemo<CreditMap> credits_memo_;
  CatalogMemo<ObservationMap> observations_memo_;
};

// What ranking needs beyond the catalog for a profile, gathered from the QoS
// store: measurements (evidence measured/both), expected credits (cost) and
// characteristic checks (cloud-washing constraints).
struct RankEvidence {
  MeasuredMap measured;
  CreditMap credits;
  ObservationMap observations;
  bool has_measured = false, has_credits = false, has_observations = false;
  // Set instead of the maps above when gathered for the serving snapshot.
  std::shared_ptr<const MeasuredMap> shared_measured;
  std::shared_ptr<const CreditMap> shared_credits;
  std::shared_ptr<const ObservationMap> shared_observations;
  RankInputs inputs() const {
    RankInputs in;
    if (has_measured) in.measured = shared_measured ? shared_measured.get() : &measured;
    if (has_credits) in.credit_percent = shared_credits ? shared_credits.get() : &credits;
    if (has_observations) in.observations = shared_observations ? shared_observations.get() : &observations;
    return in;
  }
};
// `pointer` is where the profile sits in the request, for error pointers.
Status GatherRankEvidence(const CatalogSnapshot& snapshot, const Profile& profile, const std::string& pointer, TimePoint now,
                          QosService* qos, RankEvidence& out);
// The same for the serving snapshot: the maps are shared between requests.
Status GatherRankEvidence(const std::shared_ptr<const CatalogSnapshot>& snapshot, const Profile& profile, const std::string& pointer,
                          TimePoint now, QosService* qos, RankEvidence& out);

// The SLA version that governs a window: in force at its start, else the
// first that comes into force during it.
const SlaVersion* SlaForWindow(const ProviderEntry& entry, Window w);

// Credit per reference 10.j: the highest credit among tiers whose threshold
// the availability is strictly below; 0 when none.
double CreditPercent(const std::vector<CreditTier>& tiers, double availability_percent);

}  // namespace icb
