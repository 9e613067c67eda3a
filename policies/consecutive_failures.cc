#include "policies/consecutive_failures.h"

#include <algorithm>

#include "broker/core/time.h"

namespace icb {

using nlohmann::json;

namespace {

// The run of equal outcomes at the end of a series: its length.
int TrailingRun(const std::vector<VantageSample>& series) {
  int run = 0;
  const bool last_ok = series.back().ok;
  for (auto it = series.rbegin(); it != series.rend() && it->ok == last_ok; ++it) ++run;
  return run;
}

}  // namespace

TriggerDecision ConsecutiveFailuresTrigger::Evaluate(const SamplesByVantage& samples, const FailoverSettings& settings, bool failed) const {
  int reporting = 0, failing = 0, recovered = 0;
  for (const auto& [vantage, series] : samples) {
    if (series.empty()) continue;
    ++reporting;
    const int run = TrailingRun(series);
    if (!series.back().ok && run >= settings.failures) ++failing;
    if (series.back().ok && run >= settings.recoveries) ++recovered;
  }
  const int quorum = settings.quorum ? std::min(*settings.quorum, std::max(reporting, 1)) : reporting / 2 + 1;
  TriggerDecision d;
  if (reporting == 0) return d;
  if (!failed && failing >= quorum) d.verdict = Verdict::kFailed;
  if (failed && recovered >= quorum) d.verdict = Verdict::kRecovered;
  if (d.verdict == Verdict::kUnchanged) return d;
  json per_vantage = json::object();
  for (const auto& [vantage, series] : samples) {
    if (series.empty()) continue;
    const int run = TrailingRun(series);
    json shown = json::array();
    for (size_t i = series.size() - static_cast<size_t>(run); i < series.size(); ++i) {
      json s = {{"ts", FormatRfc3339(series[i].ts)}, {"ok", series[i].ok}, {"status", series[i].status}};
      if (!series[i].error.empty()) s["error"] = series[i].error;
      if (series[i].latency_ms) s["latency_ms"] = *series[i].latency_ms;
      shown.push_back(std::move(s));
    }
    per_vantage[vantage] = {{"ok", series.back().ok}, {"in_a_row", run}, {"samples", std::move(shown)}};
  }
  d.inputs = {{"policy", "consecutive_failures"}, {"failures", settings.failures}, {"recoveries", settings.recoveries},
              {"quorum", quorum}, {"reporting", reporting}, {"failing", failing}, {"recovered", recovered}, {"vantages", std::move(per_vantage)}};
  return d;
}

size_t ConsecutiveFailuresTrigger::SamplesNeeded(const FailoverSettings& settings) const {
  return static_cast<size_t>(std::max({settings.failures, settings.recoveries, 1}));
}

}  // namespace icb
