// The metric registry: the text it renders for counters, gauges,
// histograms and collected values (checked by hand against the exposition
// format), names declared once, escaping, and the process's own metrics.
#include "broker/core/metrics.h"

#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace icb {
namespace {

TEST(MetricRegistry, RendersEachTypeAsTheTextFormatSays) {
  MetricRegistry r;
  auto requests = r.AddCounter("icbroker_requests_total", "Requests answered.", {"route", "code"});
  ASSERT_TRUE(requests.ok());
  (*requests)->With({"v1/health", "2xx"}).Inc();
  (*requests)->With({"v1/health", "2xx"}).Inc(2);
  (*requests)->With({"v1/rank", "4xx"}).Inc();
  (*requests)->With({"v1/rank", "4xx"}).Inc(-5);  // a counter never goes down
  auto leader = r.AddGauge("icbroker_leader", "1 while this replica leads.");
  ASSERT_TRUE(leader.ok());
  (*leader)->With({}).Set(1);
  auto took = r.AddHistogram("icbroker_took_seconds", "How long.", {0.1, 1}, {"kind"});
  ASSERT_TRUE(took.ok());
  auto& failover = (*took)->With({"failover"});
  failover.Observe(0.05);
  failover.Observe(0.1);  // on a bound: counted in it (le is "at most")
  failover.Observe(0.5);
  failover.Observe(7);
  ASSERT_TRUE(r.AddCollectedGauge("icbroker_operations", "Operations by state.", {"state"}, [] {
                 return std::vector<GaugeSample>{{{"running"}, 3}, {{"done"}, 12}};
               }).ok());
  EXPECT_EQ(r.Render(),
            "# HELP icbroker_leader 1 while this replica leads.\n"
            "# TYPE icbroker_leader gauge\n"
            "icbroker_leader 1\n"
            "# HELP icbroker_operations Operations by state.\n"
            "# TYPE icbroker_operations gauge\n"
            "icbroker_operations{state=\"running\"} 3\n"
            "icbroker_operations{state=\"done\"} 12\n"
            "# HELP icbroker_requests_total Requests answered.\n"
            "# TYPE icbroker_requests_total counter\n"
            "icbroker_requests_total{route=\"v1/health\",code=\"2xx\"} 3\n"
            "icbroker_requests_total{route=\"v1/rank\",code=\"4xx\"} 1\n"
            "# HELP icbroker_took_seconds How long.\n"
            "# TYPE icbroker_took_seconds histogram\n"
            "icbroker_took_seconds_bucket{kind=\"failover\",le=\"0.1\"} 2\n"
            "icbroker_took_seconds_bucket{kind=\"failover\",le=\"1\"} 3\n"
            "icbroker_took_seconds_bucket{kind=\"failover\",le=\"+Inf\"} 4\n"
            "icbroker_took_seconds_sum{kind=\"failover\"} 7.65\n"
            "icbroker_took_seconds_count{kind=\"failover\"} 4\n");
}

TEST(MetricRegistry, ANameIsDeclaredOnceAndNamesAreChecked) {
  MetricRegistry r;
  ASSERT_TRUE(r.AddCounter("icbroker_x_total", "x").ok());
  EXPECT_EQ(r.AddGauge("icbroker_x_total", "again").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(r.AddCollectedGauge("icbroker_x_total", "again", {}, [] { return std::vector<GaugeSample>{}; }).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(r.AddCounter("9lives", "x").ok());
  EXPECT_FALSE(r.AddCounter("icbroker-dash", "x").ok());
  EXPECT_FALSE(r.AddCounter("icbroker_y", "x", {"le"}).ok());
  EXPECT_FALSE(r.AddCounter("icbroker_y", "x", {"__reserved"}).ok());
  EXPECT_FALSE(r.AddCounter("icbroker_y", "x", {"a:b"}).ok());
  EXPECT_FALSE(r.AddHistogram("icbroker_h", "x", {1, 0.5}).ok());
  EXPECT_FALSE(r.AddHistogram("icbroker_h", "x", {}).ok());
  EXPECT_TRUE(r.AddHistogram("icbroker_h", "x", {0.5, 1}).ok());
  EXPECT_TRUE(r.Has("icbroker_h"));
  EXPECT_FALSE(r.Has("icbroker_y"));
}

TEST(MetricRegistry, HelpAndLabelValuesAreEscaped) {
  MetricRegistry r;
  auto c = r.AddCounter("icbroker_e_total", "a \\ b\nc \"q\"", {"v"});
  ASSERT_TRUE(c.ok());
  (*c)->With({"x\"y\\z\nw"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP icbroker_e_total a \\\\ b\\nc \"q\"\n"
            "# TYPE icbroker_e_total counter\n"
            "icbroker_e_total{v=\"x\\\"y\\\\z\\nw\"} 1\n");
}

TEST(MetricRegistry, ValuesAreWrittenAsTheFormatSpellsThem) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(1e21), "1e+21");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(NAN), "NaN");
}

TEST(MetricRegistry, CountsFromManyThreadsAddUp) {
  MetricRegistry r;
  auto c = r.AddCounter("icbroker_n_total", "n", {"t"});
  auto h = r.AddHistogram("icbroker_d_seconds", "d", {1});
  ASSERT_TRUE(c.ok() && h.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        (*c)->With({"same"}).Inc();
        (*h)->With({}).Observe(0.5);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ((*c)->With({"same"}).value(), 40000);
  EXPECT_EQ((*h)->With({}).Cumulative().back(), 40000u);
  EXPECT_EQ((*h)->With({}).sum(), 20000);
}

TEST(ProcessMetrics, AreReadFromProc) {
  MetricRegistry r;
  ASSERT_TRUE(AddProcessMetrics(r).ok());
  const std::string text = r.Render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                           "process_start_time_seconds ", "process_open_fds ", "process_max_fds ", "process_threads "}) {
    const size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << "\n" << text;
    const double v = std::strtod(text.c_str() + at + 1 + std::string(name).size(), nullptr);
    EXPECT_GT(v, 0) << name;
  }
  EXPECT_FALSE(AddProcessMetrics(r).ok());  // declared once
}

#ifdef __GLIBC__
double Scraped(const MetricRegistry& r, const std::string& name) {
  const std::string text = r.Render();
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::strtod(text.c_str() + at + name.size() + 2, nullptr);
}

TEST(ProcessMetrics, HeapCountsWhatIsAllocatedAndFreed) {
  MetricRegistry r;
  ASSERT_TRUE(AddProcessMetrics(r).ok());
  const double before = Scraped(r, "icbroker_heap_allocated_bytes");
  ASSERT_GT(before, 0);
  // 64 blocks of 64 KiB: in the arena (below the mmap threshold glibc may
  // raise), counted as allocated while held and as not allocated after.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 64; ++i) blocks.push_back(std::make_unique<char[]>(64 << 10));
  const double held = Scraped(r, "icbroker_heap_allocated_bytes");
  EXPECT_GE(held - before, 64.0 * (64 << 10)) << before << " -> " << held;
  blocks.clear();
  const double after = Scraped(r, "icbroker_heap_allocated_bytes");
  EXPECT_LE(after, held - 60.0 * (64 << 10)) << held << " -> " << after;
  EXPECT_GE(Scraped(r, "icbroker_heap_free_bytes"), 0);
}
#endif

}  // namespace
}  // namespace icb
