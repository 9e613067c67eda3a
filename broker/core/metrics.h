// What the broker counts about itself, exposed in the Prometheus text
// format (0.0.4) on GET /metrics. A registry of families: each a name, a
// help text, a type and fixed label names, declared once (a second
// declaration of a name is refused, as a typo'd twin would split a series);
// its children are the label values seen. Labels name kinds, routes,
// outcomes and providers, never one workload or operation: a family's
// children stay as many as the kinds of thing, not the things.
//
// Counters and histograms are updated on the hot path with atomics (a
// child found once is kept by the caller); gauges either set or read at
// scrape time from a callback, so what the broker already knows (the
// leader's epoch, operations by state) is not counted twice.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/status.h"

namespace icb {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Inc(double by = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);
  // Cumulative counts per upper bound (the last is +Inf), sum, count.
  std::vector<uint64_t> Cumulative() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, +Inf last
  std::atomic<double> sum_{0};
};

// Buckets in seconds for durations from a millisecond to minutes.
std::vector<double> DurationBuckets();
// Buckets for what takes seconds to hours (operations, recoveries).
std::vector<double> LongDurationBuckets();

template <typename Child>
class Family {
 public:
  // The child for these label values (as many as the family's label
  // names; missing ones are ""), made on first use. The reference stays
  // valid as long as the registry.
  Child& With(const LabelValues& values);
  Child& With(std::initializer_list<std::string_view> values);

 private:
  friend class MetricRegistry;
  Family(size_t labels, std::function<std::unique_ptr<Child>()> make) : labels_(labels), make_(std::move(make)) {}
  size_t labels_;
  std::function<std::unique_ptr<Child>()> make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Child>> children_;
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }
};

// A value read at scrape time, one per label values.
struct GaugeSample {
  LabelValues labels;
  double value = 0;
};
using GaugeCollector = std::function<std::vector<GaugeSample>()>;

class MetricRegistry {
 public:
  MetricRegistry();
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  // Names: [a-zA-Z_:][a-zA-Z0-9_:]*, labels [a-zA-Z_][a-zA-Z0-9_]* (not
  // "le", not starting "__"). Refused: a bad name, or one declared already.
  Result<Family<Counter>*> AddCounter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  Result<Family<Gauge>*> AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  Result<Family<Histogram>*> AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                          std::vector<std::string> labels = {});
  // A gauge read when scraped (`collect` runs on the scraping thread and
  // must not block for long).
  Status AddCollectedGauge(const std::string& name, const std::string& help, std::vector<std::string> labels, GaugeCollector collect);
  // A counter read when scraped (e.g. the process's CPU seconds).
  Status AddCollectedCounter(const std::string& name, const std::string& help, std::vector<std::string> labels, GaugeCollector collect);

  // Every family, sorted by name, in the text exposition format.
  std::string Render() const;
  bool Has(const std::string& name) const;

 private:
  struct Entry;
  Status Declare(const std::string& name, const std::vector<std::string>& labels) const;
  // A new family's entry, its name and labels checked (under mu_).
  Result<Entry*> AddEntryLocked(const std::string& name, const std::string& help, const char* type, std::vector<std::string> labels);
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> families_;
};

// The process's own: process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_threads (from /proc, as Prometheus'
// clients name them); with glibc, icbroker_heap_allocated_bytes and
// icbroker_heap_free_bytes (mallinfo2).
Status AddProcessMetrics(MetricRegistry& registry);

// A sample value as the text format writes it: shortest round trip,
// "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double v);

}  // namespace icb
