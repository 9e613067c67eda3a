#include "broker/core/metrics.h"

#include <dirent.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>


namespace icb {

namespace {

// std::atomic<double> has no fetch_add before C++20's library support
// everywhere: compare and swap.
void AtomicAdd(std::atomic<double>& a, double by) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + by, std::memory_order_relaxed)) {
  }
}

bool ValidName(std::string_view n, bool colons) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colons && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// HELP text: backslash and newline escaped; label values also the quote.
std::string Escape(std::string_view s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

// `{a="x",b="y"}` (with `extra` appended, e.g. le), "" when there are none.
std::string LabelSet(const std::vector<std::string>& names, const LabelValues& values, std::string_view extra = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + Escape(i < values.size() ? values[i] : std::string(), true) + "\"";
  }
  if (!extra.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra;
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void Counter::Inc(double by) {
  if (by > 0) AtomicAdd(value_, by);  // a counter only goes up
}

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(const std::vector<double>& bounds) : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  const size_t at = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[at].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
}

std::vector<uint64_t> Histogram::Cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) out[i] = running += counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> DurationBuckets() { return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}; }
std::vector<double> LongDurationBuckets() { return {0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}; }

template <typename Child>
Child& Family<Child>::With(const LabelValues& values) {
  LabelValues key = values;
  key.resize(labels_);
  std::lock_guard lock(mu_);
  auto& child = children_[std::move(key)];
  if (!child) child = make_();
  return *child;
}

template <typename Child>
Child& Family<Child>::With(std::initializer_list<std::string_view> values) {
  LabelValues v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return With(v);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct MetricRegistry::Entry {
  std::string help, type;
  std::vector<std::string> labels;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  GaugeCollector collect;
};

MetricRegistry::MetricRegistry() = default;
MetricRegistry::~MetricRegistry() = default;

Status MetricRegistry::Declare(const std::string& name, const std::vector<std::string>& labels) const {
  if (!ValidName(name, true)) return InvalidArgument("metric name \"" + name + "\" is not [a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const auto& l : labels)
    if (!ValidName(l, false) || l == "le" || l.starts_with("__"))
      return InvalidArgument("metric " + name + ": label \"" + l + "\" is not [a-zA-Z_][a-zA-Z0-9_]* (nor le, nor __*)");
  if (families_.contains(name)) return AlreadyExists("metric " + name + " is declared already");
  return Status::Ok();
}

Result<MetricRegistry::Entry*> MetricRegistry::AddEntryLocked(const std::string& name, const std::string& help, const char* type,
                                                              std::vector<std::string> labels) {
  ICB_RETURN_IF_ERROR(Declare(name, labels));
  auto e = std::make_unique<Entry>();
  e->help = help;
  e->type = type;
  e->labels = std::move(labels);
  return families_.emplace(name, std::move(e)).first->second.get();
}

Result<Family<Counter>*> MetricRegistry::AddCounter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  const size_t count = labels.size();
  ICB_ASSIGN_OR_RETURN(Entry * e, AddEntryLocked(name, help, "counter", std::move(labels)));
  e->counters.reset(new Family<Counter>(count, [] { return std::make_unique<Counter>(); }));
  return e->counters.get();
}

Result<Family<Gauge>*> MetricRegistry::AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  const size_t count = labels.size();
  ICB_ASSIGN_OR_RETURN(Entry * e, AddEntryLocked(name, help, "gauge", std::move(labels)));
  e->gauges.reset(new Family<Gauge>(count, [] { return std::make_unique<Gauge>(); }));
  return e->gauges.get();
}

Result<Family<Histogram>*> MetricRegistry::AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                                        std::vector<std::string> labels) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) || std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() ||
      std::any_of(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); }))
    return InvalidArgument("metric " + name + ": bucket bounds must be finite and strictly increasing");
  std::lock_guard lock(mu_);
  const size_t count = labels.size();
  ICB_ASSIGN_OR_RETURN(Entry * e, AddEntryLocked(name, help, "histogram", std::move(labels)));
  e->histograms.reset(new Family<Histogram>(count, [bounds] { return std::make_unique<Histogram>(bounds); }));
  return e->histograms.get();
}

Status MetricRegistry::AddCollectedGauge(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                         GaugeCollector collect) {
  std::lock_guard lock(mu_);
  ICB_ASSIGN_OR_RETURN(Entry * e, AddEntryLocked(name, help, "gauge", std::move(labels)));
  e->collect = std::move(collect);
  return Status::Ok();
}

Status MetricRegistry::AddCollectedCounter(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                           GaugeCollector collect) {
  ICB_RETURN_IF_ERROR(AddCollectedGauge(name, help, std::move(labels), std::move(collect)));
  std::lock_guard lock(mu_);
  families_[name]->type = "counter";
  return Status::Ok();
}

bool MetricRegistry::Has(const std::string& name) const {
  std::lock_guard lock(mu_);
  return families_.contains(name);
}

std::string MetricRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& family : families_) {
    // Named, not bound: the lambdas below capture them (clang 14 cannot
    // capture structured bindings).
    const std::string& name = family.first;
    const Entry* e = family.second.get();
    out += "# HELP " + name + " " + Escape(e->help, false) + "\n";
    out += "# TYPE " + name + " " + e->type + "\n";
    auto line = [&out](const std::string& series, std::string_view labels, double v) {
      out += series;
      out += labels;
      out += ' ';
      out += FormatMetricValue(v);
      out += '\n';
    };
    if (e->counters) e->counters->ForEach([&](const LabelValues& v, const Counter& c) { line(name, LabelSet(e->labels, v), c.value()); });
    if (e->gauges) e->gauges->ForEach([&](const LabelValues& v, const Gauge& g) { line(name, LabelSet(e->labels, v), g.value()); });
    if (e->histograms)
      e->histograms->ForEach([&](const LabelValues& v, const Histogram& h) {
        const auto counts = h.Cumulative();
        for (size_t i = 0; i < counts.size(); ++i) {
          const std::string le = "le=\"" + (i < h.bounds().size() ? FormatMetricValue(h.bounds()[i]) : std::string("+Inf")) + "\"";
          line(name + "_bucket", LabelSet(e->labels, v, le), static_cast<double>(counts[i]));
        }
        line(name + "_sum", LabelSet(e->labels, v), h.sum());
        line(name + "_count", LabelSet(e->labels, v), static_cast<double>(counts.back()));
      });
    if (e->collect)
      for (const auto& s : e->collect()) line(name, LabelSet(e->labels, s.labels), s.value);
  }
  return out;
}

namespace {

// Fields of /proc/self/stat after the command's closing parenthesis
// (the command may hold spaces and parentheses itself).
std::vector<std::string> SelfStat() {
  std::ifstream f("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> fields;
  const size_t close = all.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(all.substr(close + 1));
  for (std::string w; rest >> w;) fields.push_back(w);
  return fields;  // fields[0] is field 3 (state)
}

double Field(const std::vector<std::string>& f, size_t number) {  // number as proc(5) counts
  return number >= 3 && number - 3 < f.size() ? std::strtod(f[number - 3].c_str(), nullptr) : 0;
}

double BootTime() {
  std::ifstream f("/proc/stat");
  for (std::string line; std::getline(f, line);)
    if (line.starts_with("btime ")) return std::strtod(line.c_str() + 6, nullptr);
  return 0;
}

}  // namespace

Status AddProcessMetrics(MetricRegistry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto one = [](double v) { return std::vector<GaugeSample>{{{}, v}}; };
  ICB_RETURN_IF_ERROR(registry.AddCollectedCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {},
                                                   [=] {
                                                     auto f = SelfStat();
                                                     return one((Field(f, 14) + Field(f, 15)) / ticks);
                                                   }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                                                 [=] { return one(Field(SelfStat(), 24) * page); }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                                                 [=] { return one(Field(SelfStat(), 23)); }));
  const double start = BootTime() + Field(SelfStat(), 22) / ticks;
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {},
                                                 [=] { return one(start); }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_open_fds", "Number of open file descriptors.", {}, [=] {
    double n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
      closedir(d);
      --n;  // the one opendir itself holds
    }
    return one(n);
  }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_max_fds", "Maximum number of open file descriptors.", {}, [=] {
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    return one(r.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(r.rlim_cur));
  }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("process_threads", "Number of OS threads in the process.", {},
                                                 [=] { return one(Field(SelfStat(), 20)); }));
#ifdef __GLIBC__
  // RSS alone cannot tell a heap that grows from freed memory the allocator
  // keeps (or pages the binary's code first ran): these two can.
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("icbroker_heap_allocated_bytes",
                                                 "Bytes the allocator has handed out and not had back (glibc's arenas and its separate maps).", {},
                                                 [=] {
                                                   const struct mallinfo2 m = mallinfo2();
                                                   return one(static_cast<double>(m.uordblks + m.hblkhd));
                                                 }));
  ICB_RETURN_IF_ERROR(registry.AddCollectedGauge("icbroker_heap_free_bytes",
                                                 "Bytes freed into the allocator's arenas and kept for reuse, resident or not.", {},
                                                 [=] { return one(static_cast<double>(mallinfo2().fordblks)); }));
#endif
  return Status::Ok();
}

}  // namespace icb
