#include "broker/qos/service.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker/core/json_writer.h"
#include "broker/qos/sample_batch.h"

namespace icb {

using nlohmann::json;

namespace {

double Round(double v, double scale = 1e6) { return std::round(v * scale) / scale; }

void WriteOptional(JsonWriter& w, std::string_view key, const std::optional<double>& v) {
  w.Key(key);
  if (v) w.Number(Round(*v));
  else w.Null();
}

void WriteDistribution(JsonWriter& w, const Distribution& d, bool with_percentiles) {
  w.BeginObject().Key("count").Int(static_cast<long long>(d.count));
  WriteOptional(w, "mean", d.mean);
  if (with_percentiles) {
    WriteOptional(w, "p50", d.p50);
    WriteOptional(w, "p95", d.p95);
    WriteOptional(w, "p99", d.p99);
  }
  WriteOptional(w, "max", d.max);
  w.EndObject();
}

void WriteOutages(JsonWriter& w, const std::vector<Outage>& outages) {
  w.BeginArray();
  for (const auto& o : outages) {
    w.BeginObject().Key("start").String(FormatRfc3339(o.start)).Key("end").String(FormatRfc3339(o.end));
    w.Key("minutes").Number(Round(o.minutes)).Key("minutes_in_window").Number(Round(o.minutes_in_window));
    w.Key("ended_in_window").Bool(o.ended_in_window).EndObject();
  }
  w.EndArray();
}

void WriteMetricsFields(JsonWriter& w, const Metrics& m) {
  w.Key("availability_percent").Number(Round(m.availability_percent, 1e8));
  w.Key("downtime_minutes").Number(Round(m.downtime_minutes));
  w.Key("excluded_minutes").Number(Round(m.excluded_minutes));
  w.Key("partial_minutes").Number(Round(m.partial_minutes));
  w.Key("coverage_percent").Number(Round(m.coverage_percent, 1e4));
  w.Key("outages");
  WriteOutages(w, m.outages);
  WriteOptional(w, "mttr_minutes", m.mttr_minutes);
  WriteOptional(w, "max_recovery_minutes", m.max_recovery_minutes);
  w.Key("response_ms");
  WriteDistribution(w, m.response_ms, true);
  WriteOptional(w, "backup_compliance_percent", m.backup_compliance_percent);
  w.Key("backups").BeginObject().Key("total").Int(static_cast<long long>(m.backups_total)).Key("ok").Int(static_cast<long long>(m.backups_ok)).EndObject();
  w.Key("scale_minutes");
  WriteDistribution(w, m.scale_minutes, false);
}

Result<Window> RangeFromQuery(const std::map<std::string, std::string>& q) {
  auto bad = [](const char* why) { return InvalidArgument("invalid query", {{"", why}}); };
  auto f = q.find("from"), t = q.find("to");
  if (f == q.end() || t == q.end()) return bad("give month=YYYY-MM, or from= and to= as RFC 3339 times");
  Window w;
  std::string why;
  if (auto from = ParseRfc3339(f->second, &why)) w.from = *from;
  else return InvalidArgument("invalid query", {{"", "from= is not an RFC 3339 date-time: " + why}});
  if (auto to = ParseRfc3339(t->second, &why)) w.to = *to;
  else return InvalidArgument("invalid query", {{"", "to= is not an RFC 3339 date-time: " + why}});
  if (w.to <= w.from) return bad("to must be after from");
  if (w.to - w.from > std::chrono::hours(24 * 400)) return bad("the window is limited to 400 days");
  return w;
}

}  // namespace

const SlaVersion* SlaForWindow(const ProviderEntry& entry, Window w) {
  if (const SlaVersion* s = entry.InForce(w.from)) return s;
  for (const auto& s : entry.slas)
    if (s.effective_from >= w.from && s.effective_from < w.to) return &s;
  return nullptr;
}

double CreditPercent(const std::vector<CreditTier>& tiers, double availability) {
  double credit = 0;
  for (const auto& t : tiers)
    if (availability < t.below_percent) credit = std::max(credit, t.credit_percent);
  return credit;
}

QosService::QosService(Store& store, Catalog& catalog, std::optional<SampleKeeping> keeping)
    : catalog_(catalog), keeping_(std::move(keeping)), samples_(store), events_(store, catalog.schemas()) {}

Result<SampleStore::MaintainResult> QosService::KeepSamples(size_t most_days) {
  SampleStore::MaintainResult total;
  if (!keeping_) return total;
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  const TimePoint now = keeping_->clock.Now();
  for (const auto& e : snapshot->providers) {
    ICB_ASSIGN_OR_RETURN(auto r, samples_.Maintain(e.provider.id, now, keeping_->retention, most_days));
    total.days_rolled_up += r.days_rolled_up;
    total.rollups_dropped += r.rollups_dropped;
    total.samples_rolled_up += r.samples_rolled_up;
  }
  return total;
}

Result<SampleStore::AppendResult> QosService::Ingest(const json& body) {
  ICB_ASSIGN_OR_RETURN(auto samples, ParseSampleBatch(body));
  return IngestSamples(samples);
}

Result<SampleStore::AppendResult> QosService::IngestText(std::string_view body) {
  ICB_ASSIGN_OR_RETURN(auto samples, ParseSampleBatchText(body));
  return IngestSamples(samples);
}

Result<SampleStore::AppendResult> QosService::IngestSamples(const std::vector<QosSample>& samples) {
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  std::vector<FieldError> unknown;
  size_t total = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (snapshot->FindProvider(samples[i].provider)) continue;
    if (++total <= kMaxListedErrors) unknown.push_back({"/samples/" + std::to_string(i) + "/provider", "unknown provider \"" + samples[i].provider + "\""});
  }
  if (!unknown.empty()) {
    std::string detail = CountedErrors(total, unknown.size(), "sample names an unknown provider", "samples name unknown providers");
    return Status(StatusCode::kNotFound, std::move(detail), std::move(unknown));
  }
  if (keeping_) {
    // A day is rolled up once its samples are past the raw retention: one
    // arriving after would be lost, so it is refused instead.
    const TimePoint oldest = SampleStore::OldestAccepted(keeping_->clock.Now(), keeping_->retention);
    const long long days = std::chrono::duration_cast<std::chrono::hours>(keeping_->retention.raw).count() / 24;
    std::vector<FieldError> old;
    total = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].ts >= oldest) continue;
      if (++total <= kMaxListedErrors)
        old.push_back({"/samples/" + std::to_string(i) + "/ts", "older than the raw samples' retention of " + std::to_string(days) +
                                                                  " days: the oldest accepted now is " + FormatRfc3339(oldest)});
    }
    if (!old.empty()) {
      std::string detail = CountedErrors(total, old.size(), "sample is older than the retention", "samples are older than the retention");
      return Status(StatusCode::kInvalidArgument, std::move(detail), std::move(old));
    }
  }
  auto appended = samples_.Append(samples);
  if (appended.ok() && ingested_) ingested_->Inc(static_cast<double>(appended->accepted));
  return appended;
}

Result<Metrics> QosService::Compute(std::string_view provider, Window w, int notice_days) {
  MetricsInput in;
  in.maintenance_notice_days = notice_days;
  ICB_ASSIGN_OR_RETURN(auto events, events_.Load(provider));
  for (const auto& e : events) {
    if (auto* m = std::get_if<MaintenanceEvent>(&e.body)) in.maintenance.push_back(*m);
    else if (auto* b = std::get_if<BackupEvent>(&e.body)) in.backups.push_back(*b);
    else if (auto* s = std::get_if<ScaleEvent>(&e.body)) in.scales.push_back(*s);
  }
  // Look back far enough to see where an outage in progress at the window's
  // start began (its full duration counts for MTTR), and one day ahead to see
  // whether one continues past the end.
  // Extends only while that reveals an earlier start (the data may simply
  // begin there).
  const TimePoint ahead = w.to + std::chrono::hours(24);
  std::optional<TimePoint> previous_start;
  for (auto lookback = std::chrono::hours(24);; lookback *= 4) {
    TimePoint loaded_from = w.from - lookback;
    ICB_ASSIGN_OR_RETURN(in.series, samples_.Load(provider, loaded_from, ahead));
    Metrics m = ComputeMetrics(in, w.from, w.to);
    bool at_edge = !m.all_outages.empty() && m.all_outages.front().start <= loaded_from + std::chrono::hours(1) &&
                   m.all_outages.front().end > w.from;
    bool moved = !previous_start || m.all_outages.front().start < *previous_start;
    if (!at_edge || !moved || lookback >= std::chrono::hours(24 * 64)) return m;
    previous_start = m.all_outages.front().start;
  }
}

Result<MeasuredMap> QosService::Measured(const CatalogSnapshot& catalog, TimePoint now) {
  constexpr auto kWindow = std::chrono::hours(24 * 30);
  MeasuredMap out;
  out.from = now - kWindow;
  out.to = now;
  using Shared = std::shared_ptr<const MeasuredTargets>;
  for (const auto& entry : catalog.providers) {
    ICB_ASSIGN_OR_RETURN(Shared t, measured_.Get(entry, now, [&](const ProviderEntry& e) -> Result<Shared> {
      Window w{now - kWindow, now};
      const SlaVersion* sla = e.InForce(now);
      ICB_ASSIGN_OR_RETURN(Metrics m, Compute(e.provider.id, w, sla ? sla->maintenance_notice_days : 7));
      MeasuredTargets t;
      t.from = w.from;
      t.to = w.to;
      t.coverage_percent = m.coverage_percent;
      auto set = [&](const char* name, const std::optional<double>& v) { t.values[*TargetIndex(name)] = v; };
      if (m.coverage_percent > 0) set("availability_percent", m.availability_percent);
      set("response_ms_mean", m.response_ms.mean);
      set("response_ms_p95", m.response_ms.p95);
      set("response_ms_p99", m.response_ms.p99);
      set("mttr_minutes", m.mttr_minutes);
      set("max_recovery_minutes", m.max_recovery_minutes);
      set("backup_compliance_percent", m.backup_compliance_percent);
      set("scale_minutes", m.scale_minutes.mean);
      const bool nothing = m.coverage_percent <= 0 && std::none_of(t.values.begin(), t.values.end(), [](const auto& v) { return v.has_value(); });
      return nothing ? nullptr : std::make_shared<const MeasuredTargets>(std::move(t));
    }));
    if (t) out.providers.emplace(entry.provider.id, std::move(t));
  }
  return out;
}

Result<EventStore::Added> QosService::AddEvent(std::string_view provider, const json& doc) {
  auto added = events_.Add(provider, doc);
  if (added.ok()) {
    observations_.Forget(std::string(provider));
    credits_.Forget(std::string(provider));
    measured_.Forget(std::string(provider));
    generation_.fetch_add(1);
  }
  return added;
}

Result<std::vector<QosService::MonthCredit>> QosService::RecentCredits(const ProviderEntry& entry, TimePoint now, int months) {
  // The month `now` is in (UTC, then one back if the SLA's zone has not reached it yet) ...
  std::string stamp = FormatRfc3339(now);
  int year = std::stoi(stamp.substr(0, 4)), month = std::stoi(stamp.substr(5, 2));
  auto step_back = [&] {
    if (--month == 0) {
      month = 12;
      --year;
    }
  };
  auto name = [&] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
    return std::string(buf);
  };
  if (const SlaVersion* s = entry.InForce(now)) {
    ICB_ASSIGN_OR_RETURN(Window current, MonthWindow(name(), s->time_zone));
    if (current.from > now) step_back();
  }
  // ... then the complete months before it.
  std::vector<MonthCredit> out;
  for (int i = 0; i < months; ++i) {
    step_back();
    std::string m = name();
    ICB_ASSIGN_OR_RETURN(Window utc, MonthWindow(m, "UTC"));
    const SlaVersion* sla = SlaForWindow(entry, utc);
    if (!sla) continue;
    ICB_ASSIGN_OR_RETURN(Window w, MonthWindow(m, sla->time_zone));
    ICB_ASSIGN_OR_RETURN(Metrics metrics, Compute(entry.provider.id, w, sla->maintenance_notice_days));
    MonthCredit c;
    c.month = m;
    c.sla_version = sla->version;
    c.availability_percent = metrics.availability_percent;
    c.coverage_percent = metrics.coverage_percent;
    c.credit_percent = metrics.coverage_percent > 0 ? CreditPercent(sla->credit_tiers, metrics.availability_percent) : 0.0;
    c.monthly_fee = sla->monthly_fee;
    out.push_back(std::move(c));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<CreditMap> QosService::ExpectedCredits(const CatalogSnapshot& catalog, TimePoint now) {
  CreditMap out;
  for (const auto& entry : catalog.providers) {
    ICB_ASSIGN_OR_RETURN(std::optional<double> expected, credits_.Get(entry, now, [&](const ProviderEntry& e) -> Result<std::optional<double>> {
      ICB_ASSIGN_OR_RETURN(auto months, RecentCredits(e, now));
      double sum = 0;
      int measured = 0;
      for (const auto& m : months) {
        if (m.coverage_percent < kMinMeasuredCoverage) continue;  // too little seen to predict from
        sum += m.credit_percent;
        ++measured;
      }
      return measured ? std::optional<double>(sum / measured) : std::nullopt;
    }));
    if (expected) out.emplace(entry.provider.id, *expected);
  }
  return out;
}

Result<ObservationMap> QosService::Observations(const CatalogSnapshot& catalog, TimePoint now) {
  ObservationMap out;
  for (const auto& entry : catalog.providers) {
    ICB_ASSIGN_OR_RETURN(auto checks, observations_.Get(entry, now, [&](const ProviderEntry& e) -> Result<std::vector<CharacteristicCheckEvent>> {
      ICB_ASSIGN_OR_RETURN(auto events, events_.Load(e.provider.id));
      std::vector<CharacteristicCheckEvent> found;
      for (const auto& ev : events)
        if (auto* c = std::get_if<CharacteristicCheckEvent>(&ev.body)) found.push_back(*c);
      return found;
    }));
    if (!checks.empty()) out.emplace(entry.provider.id, std::move(checks));
  }
  return out;
}

Result<std::shared_ptr<const CatalogSnapshot>> QosService::Entry(std::string_view provider, const ProviderEntry** entry) {
  ICB_RETURN_IF_ERROR(catalog_.GetProvider(provider).status());
  ICB_ASSIGN_OR_RETURN(auto snapshot, catalog_.Snapshot());
  if ((*entry = snapshot->FindProvider(provider))) return snapshot;
  return NotFound("no provider " + std::string(provider));
}

Result<std::string> QosService::MetricsJson(std::string_view provider, const std::map<std::string, std::string>& q) {
  const ProviderEntry* entry = nullptr;
  ICB_ASSIGN_OR_RETURN(auto snapshot, Entry(provider, &entry));
  Window w;
  const SlaVersion* sla = nullptr;
  std::string zone = "UTC";
  if (q.count("month")) {
    // The month is the SLA's calendar month: take the zone of the SLA in force then.
    ICB_ASSIGN_OR_RETURN(Window utc, MonthWindow(q.at("month"), "UTC"));
    sla = SlaForWindow(*entry, utc);
    if (sla) zone = sla->time_zone;
    ICB_ASSIGN_OR_RETURN(w, MonthWindow(q.at("month"), zone));
  } else {
    ICB_ASSIGN_OR_RETURN(w, RangeFromQuery(q));
    sla = SlaForWindow(*entry, w);
  }
  int notice_days = sla ? sla->maintenance_notice_days : 7;
  ICB_ASSIGN_OR_RETURN(Metrics m, Compute(provider, w, notice_days));
  JsonWriter out;
  out.BeginObject().Key("provider").String(provider);
  if (q.count("month")) out.Key("month").String(q.at("month"));
  out.Key("time_zone").String(zone).Key("from").String(FormatRfc3339(w.from)).Key("to").String(FormatRfc3339(w.to));
  out.Key("window_minutes").Number(Round(m.window_minutes));
  out.Key("sla_version");
  if (sla) out.String(sla->version);
  else out.Null();
  out.Key("maintenance_notice_days").Int(notice_days);
  WriteMetricsFields(out, m);
  out.EndObject();
  return out.Take();
}

Result<std::string> QosService::SlaReportJson(std::string_view provider, const std::map<std::string, std::string>& q) {
  if (!q.count("month")) return InvalidArgument("invalid query", {{"", "give month=YYYY-MM"}});
  const ProviderEntry* entry = nullptr;
  ICB_ASSIGN_OR_RETURN(auto snapshot, Entry(provider, &entry));
  ICB_ASSIGN_OR_RETURN(Window utc, MonthWindow(q.at("month"), "UTC"));
  const SlaVersion* sla = SlaForWindow(*entry, utc);
  if (!sla) return NotFound("provider " + std::string(provider) + " has no SLA in force in " + q.at("month"));
  ICB_ASSIGN_OR_RETURN(Window w, MonthWindow(q.at("month"), sla->time_zone));
  ICB_ASSIGN_OR_RETURN(Metrics m, Compute(provider, w, sla->maintenance_notice_days));

  std::vector<double> billed;
  if (q.count("billed")) {
    std::stringstream ss(q.at("billed"));
    std::string item;
    while (std::getline(ss, item, ',')) {
      char* end = nullptr;
      double v = std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0' || !(v >= 0)) return InvalidArgument("invalid query", {{"", "billed= wants up to three non-negative amounts, e.g. billed=1000,1100,900"}});
      billed.push_back(v);
    }
    if (billed.empty() || billed.size() > 3) return InvalidArgument("invalid query", {{"", "billed= wants one to three amounts"}});
  }

  JsonWriter out;
  out.BeginObject().Key("provider").String(provider).Key("month").String(q.at("month")).Key("time_zone").String(sla->time_zone);
  out.Key("from").String(FormatRfc3339(w.from)).Key("to").String(FormatRfc3339(w.to)).Key("sla_version").String(sla->version);
  out.Key("criteria").BeginArray();
  auto criterion = [&](std::string_view name, const std::optional<double>& measured, bool higher_is_better, std::string_view none_means) {
    auto index = TargetIndex(name);
    const auto& target = sla->targets[*index];
    if (!target) return;
    out.BeginObject().Key("name").String(name).Key("unit").String(kTargets[*index].unit).Key("target").Number(*target);
    WriteOptional(out, "measured", measured);
    out.Key("met");
    if (measured) out.Bool(higher_is_better ? *measured >= *target : *measured <= *target);
    else if (none_means == "met") out.Bool(true);
    else out.Null();
    if (!measured) out.Key("note").String(none_means == "met" ? "no outage ended this month" : "nothing measured this month");
    out.EndObject();
  };
  criterion("availability_percent", m.availability_percent, true, "");
  criterion("response_ms_mean", m.response_ms.mean, false, "");
  criterion("response_ms_p95", m.response_ms.p95, false, "");
  criterion("response_ms_p99", m.response_ms.p99, false, "");
  criterion("mttr_minutes", m.mttr_minutes, false, "met");
  criterion("max_recovery_minutes", m.max_recovery_minutes, false, "met");
  criterion("backup_compliance_percent", m.backup_compliance_percent, true, "");
  criterion("scale_minutes", m.scale_minutes.mean, false, "");
  out.EndArray();

  out.Key("availability_percent").Number(Round(m.availability_percent, 1e8));
  out.Key("downtime_minutes").Number(Round(m.downtime_minutes)).Key("excluded_minutes").Number(Round(m.excluded_minutes));
  out.Key("coverage_percent").Number(Round(m.coverage_percent, 1e4));
  double credit = CreditPercent(sla->credit_tiers, m.availability_percent);
  out.Key("credit_percent").Number(credit);
  // The fee basis (reference 4): the monthly fee, or the average billed over
  // the last three months (the actual period if shorter) when the SLA says so.
  std::optional<double> basis;
  std::string basis_name = "monthly_fee";
  if (sla->fee_basis == "average_last_3_months" && !billed.empty()) {
    double sum = 0;
    for (double b : billed) sum += b;
    basis = sum / static_cast<double>(billed.size());
    basis_name = "average_last_" + std::to_string(billed.size()) + "_months";
  } else if (sla->monthly_fee) {
    basis = sla->monthly_fee->amount;
  }
  out.Key("fee_basis").String(basis_name);
  WriteOptional(out, "fee_basis_amount", basis);
  out.Key("credit_amount");
  if (basis) out.Number(Round(*basis * credit / 100.0, 100));
  else out.Null();
  out.Key("currency");
  if (sla->monthly_fee) out.String(sla->monthly_fee->currency);
  else out.Null();
  out.Key("notices").BeginArray();
  for (const auto& n : NoticesDue(m.all_outages, w.from, w.to)) out.BeginObject().Key("kind").String(n.kind).Key("at").String(FormatRfc3339(n.at)).EndObject();
  out.EndArray();
  out.Key("outages");
  WriteOutages(out, m.outages);
  out.EndObject();
  return out.Take();
}

Result<std::shared_ptr<const MeasuredMap>> QosService::MeasuredShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now) {
  return measured_memo_.Get(s, generation_.load(), now, [&](const CatalogSnapshot& c) { return Measured(c, now); });
}

Result<std::shared_ptr<const CreditMap>> QosService::ExpectedCreditsShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now) {
  return credits_memo_.Get(s, generation_.load(), now, [&](const CatalogSnapshot& c) { return ExpectedCredits(c, now); });
}

Result<std::shared_ptr<const ObservationMap>> QosService::ObservationsShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now) {
  return observations_memo_.Get(s, generation_.load(), now, [&](const CatalogSnapshot& c) { return Observations(c, now); });
}

Status QosService::RefreshShared(const std::shared_ptr<const CatalogSnapshot>& s, TimePoint now) {
  const uint64_t generation = generation_.load();
  ICB_RETURN_IF_ERROR(measured_memo_.Refresh(s, generation, now, [&](const CatalogSnapshot& c) { return Measured(c, now); }));
  ICB_RETURN_IF_ERROR(credits_memo_.Refresh(s, generation, now, [&](const CatalogSnapshot& c) { return ExpectedCredits(c, now); }));
  return observations_memo_.Refresh(s, generation, now, [&](const CatalogSnapshot& c) { return Observations(c, now); });
}

Status GatherRankEvidence(const std::shared_ptr<const CatalogSnapshot>& snapshot, const Profile& profile, const std::string& pointer,
                          TimePoint now, QosService* qos, RankEvidence& out) {
  if (!qos) return GatherRankEvidence(*snapshot, profile, pointer, now, qos, out);
  if (profile.evidence != EvidenceBasis::kPublished) {
    ICB_ASSIGN_OR_RETURN(out.shared_measured, qos->MeasuredShared(snapshot, now));
    out.has_measured = true;
  }
  if (profile.cost) {
    ICB_ASSIGN_OR_RETURN(out.shared_credits, qos->ExpectedCreditsShared(snapshot, now));
    out.has_credits = true;
  }
  if (profile.constraints.exclude_cloud_washing || profile.constraints.essential_characteristics) {
    ICB_ASSIGN_OR_RETURN(out.shared_observations, qos->ObservationsShared(snapshot, now));
    out.has_observations = true;
  }
  return Status::Ok();
}

Status GatherRankEvidence(const CatalogSnapshot& snapshot, const Profile& profile, const std::string& pointer, TimePoint now,
                          QosService* qos, RankEvidence& out) {
  if (profile.evidence != EvidenceBasis::kPublished) {
    if (!qos) {
      return InvalidArgument("evidence not available", {{pointer + "/evidence", "evidence \"" + std::string(EvidenceBasisName(profile.evidence)) +
                                                                                  "\" needs measured QoS, which is not available here; use \"published\""}});
    }
    ICB_ASSIGN_OR_RETURN(out.measured, qos->Measured(snapshot, now));
    out.has_measured = true;
  }
  if (!qos) return Status::Ok();
  if (profile.cost) {
    ICB_ASSIGN_OR_RETURN(out.credits, qos->ExpectedCredits(snapshot, now));
    out.has_credits = true;
  }
  if (profile.constraints.exclude_cloud_washing || profile.constraints.essential_characteristics) {
    ICB_ASSIGN_OR_RETURN(out.observations, qos->Observations(snapshot, now));
    out.has_observations = true;
  }
  return Status::Ok();
}

}  // namespace icb
