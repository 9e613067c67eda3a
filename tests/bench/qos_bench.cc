// QoS benchmarks (issue: measured QoS). Modes:
//   qos_bench http PORT BATCHES CONNECTIONS   POST distinct 1,000-sample batches to a running broker
//   qos_bench http-spread PORT BATCHES CONNECTIONS   the same, each batch over 100 series of 10 providers
//   qos_bench store FSYNC BATCHES CONNECTIONS the baseline: the same batches written straight to a
//                                             fresh redis-server (same Lua write, same records), no broker
//   qos_bench metrics                         a month of 10 s samples from 3 vantages -> metrics, timed;
//                                             then rolled up per minute: memory per sample before and after,
//                                             the metrics again (must be the same answer), timed
// Each prints one line "RESULT <name> <value> <unit>" for scripts/bench-qos.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/qos/service.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/redis_store.h"
#include "tests/bench/redis_memory.h"

using namespace icb;
using Steady = std::chrono::steady_clock;

namespace {

const TimePoint kStart = *ParseRfc3339("2026-11-01T00:00:00Z");  // the metrics month

// Where ingested batches start: 30 days ago at midnight, inside the raw
// retention (35 days) whenever the bench runs.
TimePoint IngestStart() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return std::chrono::time_point_cast<Millis>(today - std::chrono::days(30));
}

// Batch b: 1,000 samples of provider bench, vantage v(b % 8), distinct
// timestamps. `spread`: of 100 series instead (providers bench-0 to bench-9,
// endpoints e0 to e9, vantage v; 10 samples each), as a prober watching
// many endpoints pushes them.
std::vector<QosSample> Batch(int b, bool spread = false) {
  std::vector<QosSample> out;
  for (int i = 0; i < 1000; ++i) {
    QosSample s;
    s.provider = spread ? "bench-" + std::to_string(i % 10) : "bench";
    s.endpoint = spread ? "e" + std::to_string(i / 10 % 10) : "api";
    s.vantage = spread ? "v" : "v" + std::to_string(b % 8);
    static const TimePoint start = IngestStart();
    s.ts = spread ? start + std::chrono::seconds(10) * (b * 10 + i / 100) : start + std::chrono::seconds(10) * ((b / 8) * 1000 + i);
    s.interval = std::chrono::seconds(10);
    s.ok = i % 97 != 0;
    if (s.ok) s.latency_ms = 20 + i % 50;
    s.status = s.ok ? 200 : 503;
    if (!s.ok) s.error = ProbeError::kStatus;
    out.push_back(s);
  }
  return out;
}

std::string BatchJson(int b, bool spread = false) {
  std::string out = "{\"samples\":[";
  bool first = true;
  for (const auto& s : Batch(b, spread)) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s{\"provider\":\"%s\",\"endpoint\":\"%s\",\"vantage\":\"%s\",\"ts\":\"%s\",\"interval_s\":10,\"ok\":%s,"
                  "\"latency_ms\":%s,\"status\":%d,\"error\":%s}",
                  first ? "" : ",", s.provider.c_str(), s.endpoint.c_str(), s.vantage.c_str(), FormatRfc3339(s.ts).c_str(),
                  s.ok ? "true" : "false", s.latency_ms ? std::to_string(static_cast<int>(*s.latency_ms)).c_str() : "null", s.status,
                  s.ok ? "null" : "\"status\"");
    out += buf;
    first = false;
  }
  return out + "]}";
}

// Spreads batches [0, n) over `connections` threads; returns samples per second.
template <typename Fn>
double Run(int n, int connections, Fn per_thread) {
  std::atomic<int> next{0}, failures{0};
  auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) threads.emplace_back([&] { per_thread(next, failures); });
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(Steady::now() - t0).count();
  if (failures) {
    std::fprintf(stderr, "%d batches failed\n", failures.load());
    std::exit(1);
  }
  return n * 1000.0 / s;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

// One request on a keep-alive connection; returns the status.
int Post(int fd, const std::string& body) {
  std::string req = "POST /v1/qos/samples HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return 0;
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[8192];
  size_t head_end, need = std::string::npos;
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return 0;
    in.append(buf, static_cast<size_t>(n));
    head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    if (need == std::string::npos) {
      std::string head = in.substr(0, head_end);
      std::transform(head.begin(), head.end(), head.begin(), ::tolower);
      auto cl = head.find("content-length:");
      need = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15)));
    }
    if (in.size() >= need) break;
  }
  return std::stoi(in.substr(9, 3));
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if ((mode == "http" || mode == "http-spread") && argc == 5) {
    int port = std::atoi(argv[2]), n = std::atoi(argv[3]), conns = std::atoi(argv[4]);
    std::vector<std::string> bodies;
    for (int b = 0; b < n; ++b) bodies.push_back(BatchJson(b, mode == "http-spread"));
    double rate = Run(n, conns, [&](std::atomic<int>& next, std::atomic<int>& failures) {
      int fd = Connect(port);
      for (int b; (b = next++) < n;) {
        if (Post(fd, bodies[b]) != 202) ++failures;
      }
      close(fd);
    });
    std::printf("RESULT http %.0f samples/s\n", rate);
    return 0;
  }
  if (mode == "store" && argc == 5) {
    char tmpl[] = "/tmp/icb-qbench-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    auto redis = EmbeddedRedis::Start({.data_dir = dir, .appendfsync = argv[2]});
    if (!redis.ok()) { std::fprintf(stderr, "%s\n", redis.status().ToString().c_str()); return 1; }
    int n = std::atoi(argv[3]), conns = std::atoi(argv[4]);
    std::vector<std::vector<QosSample>> batches;
    for (int b = 0; b < n; ++b) batches.push_back(Batch(b));
    auto store = NewRedisStore({.address = (*redis)->address(), .pool_size = conns});
    SampleStore samples(*store);
    double rate = Run(n, conns, [&](std::atomic<int>& next, std::atomic<int>& failures) {
      for (int b; (b = next++) < n;)
        if (!samples.Append(batches[b]).ok()) ++failures;
    });
    std::printf("RESULT store %.0f samples/s\n", rate);
    (void)(*redis)->Stop();
    std::filesystem::remove_all(dir);
    return 0;
  }
  if (mode == "metrics") {
    char tmpl[] = "/tmp/icb-qbench-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    auto redis = EmbeddedRedis::Start({.data_dir = dir, .appendfsync = "everysec"});
    if (!redis.ok()) { std::fprintf(stderr, "%s\n", redis.status().ToString().c_str()); return 1; }
    auto store = NewRedisStore({.address = (*redis)->address()});
    Catalog catalog(*store, *SchemaSet::LoadEmbedded());
    nlohmann::json p = {{"id", "bench"}, {"name", "Bench"}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}}};
    (void)catalog.PutProvider("bench", p);
    QosService qos(*store, catalog);
    // November 2026 (30 days) plus a day either side, every 10 s from 3 vantages.
    long long loaded = 0;
    const long long memory_empty = RedisUsedMemory((*redis)->address());
    for (int v = 0; v < 3; ++v) {
      std::vector<QosSample> batch;
      for (TimePoint t = kStart - std::chrono::hours(24); t < kStart + std::chrono::hours(24 * 31); t += std::chrono::seconds(10)) {
        QosSample s;
        s.provider = "bench";
        s.endpoint = "api";
        s.vantage = "v" + std::to_string(v);
        s.ts = t;
        s.interval = std::chrono::seconds(10);
        long long k = (t - kStart + std::chrono::hours(24)).count() / 10000;  // >= 0
        s.ok = k % 5000 >= 3;  // every ~14 h, 30 s down from every vantage
        // Latencies to the microsecond, as probes measure them (the rollup keeps each by value).
        if (s.ok) s.latency_ms = 20 + k % 50 + static_cast<double>(k * 7919 % 1000) / 1000;
        batch.push_back(s);
        if (batch.size() == 10000) { (void)qos.IngestSamples(batch); loaded += batch.size(); batch.clear(); }
      }
      if (!batch.empty()) { (void)qos.IngestSamples(batch); loaded += batch.size(); }
    }
    // The month's metrics asked 7 times: the answer and the sorted times (ms).
    auto time_metrics = [&qos](std::string& answer) {
      std::vector<double> times;
      for (int i = 0; i < 7; ++i) {
        auto t0 = Steady::now();
        answer = *qos.MetricsJson("bench", {{"month", "2026-11"}});
        times.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
      }
      std::sort(times.begin(), times.end());
      return times;
    };
    std::string answer;
    const std::vector<double> ms = time_metrics(answer);
    {
      // Where the time goes: reading the samples vs computing.
      SampleStore direct(*store);
      auto w = *MonthWindow("2026-11", "UTC");
      auto t0 = Steady::now();
      MetricsInput in;
      in.series = *direct.Load("bench", w.from - std::chrono::hours(24), w.to + std::chrono::hours(24));
      auto t1 = Steady::now();
      Metrics m = ComputeMetrics(in, w.from, w.to);
      auto t2 = Steady::now();
      std::printf("phases: load %.1f ms, compute %.1f ms (%zu outages)\n", std::chrono::duration<double, std::milli>(t1 - t0).count(),
                  std::chrono::duration<double, std::milli>(t2 - t1).count(), m.outages.size());
    }
    const long long memory_raw = RedisUsedMemory((*redis)->address());
    // Roll every day up, as a broker would 35 days on, and ask again.
    SampleStore samples(*store);
    SampleStore::Retention retention;
    const TimePoint later = kStart + std::chrono::hours(24 * 34) + retention.raw;  // every day and the two after it past
    size_t rolled = 0;
    auto r0 = Steady::now();
    for (;;) {
      auto m = samples.Maintain("bench", later, retention, 32);
      if (!m.ok()) { std::fprintf(stderr, "maintain: %s\n", m.status().ToString().c_str()); return 1; }
      rolled += m->days_rolled_up;
      if (m->days_rolled_up == 0) break;
    }
    const double rollup_ms = std::chrono::duration<double, std::milli>(Steady::now() - r0).count();
    const long long memory_rolled = RedisUsedMemory((*redis)->address());
    std::string answer_rolled;
    const std::vector<double> ms_rolled = time_metrics(answer_rolled);
    std::printf("rolled up %zu series-days in %.0f ms; metrics answer %s\n", rolled, rollup_ms,
                answer_rolled == answer ? "identical" : "DIFFERENT");
    std::printf("RESULT memory_per_sample_raw %.1f B\nRESULT memory_per_sample_rolled_up %.1f B\n",
                static_cast<double>(memory_raw - memory_empty) / loaded, static_cast<double>(memory_rolled - memory_empty) / loaded);
    std::printf("RESULT metrics_rolled_up_median %.1f ms\nRESULT metrics_rolled_up_max %.1f ms\n", ms_rolled[ms_rolled.size() / 2],
                ms_rolled.back());
    auto j = nlohmann::json::parse(answer);
    long long in_month = static_cast<long long>(j["response_ms"]["count"].get<long long>()) + 0;
    std::printf("loaded %lld samples (%lld successful in the month); availability %.6f %%, %zu outages\n", loaded, in_month,
                j["availability_percent"].get<double>(), j["outages"].size());
    std::printf("RESULT metrics_median %.1f ms\nRESULT metrics_max %.1f ms\n", ms[ms.size() / 2], ms.back());
    (void)(*redis)->Stop();
    std::filesystem::remove_all(dir);
    return 0;
  }
  std::fprintf(stderr, "usage: qos_bench http PORT BATCHES CONNECTIONS | store FSYNC BATCHES CONNECTIONS | metrics\n");
  return 2;
}
