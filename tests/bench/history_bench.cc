// The audit trail at a million events (scripts/bench-history): a fresh
// redis-server (appendfsync always, as the broker runs it) holds 1,000,000
// events of 1,000 workloads written as the broker writes them (batches of
// 1,000 through the indexed log); then filtered pages of 100 are timed
// in-process (the broker's own Query: its Redis round trips and parsing),
// beside the trail as it was before (one string of JSON lines read whole
// per query, the same events), and the bytes per event Redis holds; then
// the same pages as an upgraded broker reads them before its events are
// listed under the (subject, kind) pair indexes, and that listing timed.
// Prints "RESULT name value unit" lines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "broker/core/time.h"
#include "broker/orchestrator/engine/audit.h"
#include "broker/store/embedded_redis.h"
#include "broker/store/redis_store.h"
#include "tests/bench/redis_memory.h"

using namespace icb;
using Steady = std::chrono::steady_clock;

namespace {

const TimePoint kT0 = *ParseRfc3339("2026-01-01T00:00:00Z");
const char* kKinds[] = {"step_started", "step_succeeded", "step_started", "step_succeeded", "decision", "detected", "verified"};

AuditEvent EventNo(long i) {
  const std::string w = "w" + std::to_string(i % 1000);
  const std::string op = "failover-" + std::to_string(i / 10);
  nlohmann::json inputs = {{"attempt", 1}, {"url", "http://127.0.0.12:8000/"}};
  return MakeEvent("e" + std::to_string(i), kKinds[i % 7], kT0 + std::chrono::milliseconds(i * 30), {w, op, i % 3 ? "sim-b" : "sim-c"},
                   "failover: ensure_capacity succeeded for workload " + w, std::move(inputs));
}

struct Timing {
  double p50 = 0, p99 = 0, max = 0;
  size_t events = 0;
};

template <typename F>
Timing Time(int runs, F query) {
  std::vector<double> ms;
  Timing t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Steady::now();
    t.events = query(r);
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  t.p50 = ms[ms.size() / 2];
  t.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  t.max = ms.back();
  return t;
}

void Report(const std::string& name, const Timing& t) {
  std::printf("RESULT %s_p50 %.3f ms\nRESULT %s_p99 %.3f ms\nRESULT %s_max %.3f ms\nRESULT %s_events %zu events\n", name.c_str(), t.p50,
              name.c_str(), t.p99, name.c_str(), t.max, name.c_str(), t.events);
}

}  // namespace

int main(int argc, char** argv) {
  const long total = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  const std::string dir = std::filesystem::temp_directory_path() / ("icb-history-" + std::to_string(getpid()));
  auto redis = EmbeddedRedis::Start({.data_dir = dir});
  if (!redis.ok()) {
    std::fprintf(stderr, "%s\n", redis.status().ToString().c_str());
    return 1;
  }
  RedisStoreOptions o;
  o.address = (*redis)->address();
  o.command_timeout = std::chrono::seconds(120);
  auto store = NewRedisStore(o);
  AuditLog log(*store);
  // A fresh broker's first tick: nothing to list under the pair indexes.
  if (auto fresh = log.IndexPairs(5'000); !fresh.ok() || !fresh->done) {
    std::fprintf(stderr, "pair indexes not ready on an empty trail\n");
    return 1;
  }
  const long long before = RedisUsedMemory((*redis)->address());
  const auto w0 = Steady::now();
  for (long b = 0; b < total; b += 1000) {
    std::vector<AuditEvent> batch;
    for (long i = b; i < std::min(total, b + 1000); ++i) batch.push_back(EventNo(i));
    if (auto s = log.Record(batch, nullptr); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double load_s = std::chrono::duration<double>(Steady::now() - w0).count();
  const long long after = RedisUsedMemory((*redis)->address());
  std::printf("RESULT events %ld events\nRESULT load %.1f s\nRESULT bytes_per_event %.0f B\n", total, load_s,
              static_cast<double>(after - before) / static_cast<double>(total));
  auto page = [&](AuditFilter f) {
    return [&log, f](int r) mutable {
      if (!f.workload.empty()) f.workload = "w" + std::to_string((r * 37) % 1000);
      auto p = log.Query(f);
      return p.ok() ? p->events.size() : 0;
    };
  };
  AuditFilter by_workload;
  by_workload.workload = "w0";
  Report("page_workload", Time(300, page(by_workload)));
  AuditFilter by_workload_kind = by_workload;
  by_workload_kind.kind = "decision";
  Report("page_workload_decisions", Time(300, page(by_workload_kind)));
  AuditFilter by_operation;
  by_operation.operation = "failover-" + std::to_string(total / 20);
  Report("page_operation", Time(300, page(by_operation)));
  AuditFilter by_kind;
  by_kind.kind = "detected";
  Report("page_kind", Time(300, page(by_kind)));
  AuditFilter from_time;
  from_time.from = kT0 + std::chrono::milliseconds(total / 2 * 30);
  Report("page_from_time", Time(300, page(from_time)));
  AuditFilter first;
  Report("page_unfiltered", Time(300, page(first)));
  // As a broker upgraded from before the pair indexes pages a workload's
  // decisions until its events are listed under them (the workload's index,
  // the kind checked), then the listing itself at a million events.
  {
    WriteBatch forget;
    forget.Delete("icb:audit:log:pairs");  // AuditLog's progress marker
    (void)store->Apply(forget);
  }
  Report("page_workload_decisions_before_pairs", Time(300, page(by_workload_kind)));
  const auto p0 = Steady::now();
  for (;;) {
    auto step = log.IndexPairs(5'000);
    if (!step.ok()) {
      std::fprintf(stderr, "%s\n", step.status().ToString().c_str());
      return 1;
    }
    if (step->done) break;
  }
  std::printf("RESULT pair_index_listing %.1f s\n", std::chrono::duration<double>(Steady::now() - p0).count());
  // Retention: the oldest tenth forgotten.
  const auto t0 = Steady::now();
  auto trimmed = log.Trim(kT0 + std::chrono::milliseconds(total / 10 * 30));
  std::printf("RESULT trimmed %zu events\nRESULT trim %.1f s\n", trimmed.ok() ? *trimmed : 0,
              std::chrono::duration<double>(Steady::now() - t0).count());

  // The baseline: the trail as it was, one string of JSON lines read whole
  // and parsed per query (the same events).
  const long long legacy_before = RedisUsedMemory((*redis)->address());
  for (long b = 0; b < total; b += 1000) {
    AppendGroup g{"bench:legacy:ids", "bench:legacy", {}};
    for (long i = b; i < std::min(total, b + 1000); ++i) {
      const AuditEvent e = EventNo(i);
      g.items.emplace_back(e.id, AuditEventToJson(e).dump() + "\n");
    }
    (void)store->AppendUnique({g}, {});
  }
  const long long legacy_after = RedisUsedMemory((*redis)->address());
  std::printf("RESULT legacy_bytes_per_event %.0f B\n", static_cast<double>(legacy_after - legacy_before) / static_cast<double>(total));
  Report("legacy_page_workload", Time(5, [&](int r) -> size_t {
           auto v = store->GetMany({"bench:legacy"});
           if (!v.ok() || !v->at(0)) return 0;
           const std::string& all = *v->at(0);
           const std::string want = "w" + std::to_string((r * 37) % 1000);
           std::vector<nlohmann::json> matched;
           size_t pos = 0;
           while (pos < all.size()) {
             size_t end = all.find('\n', pos);
             if (end == std::string::npos) end = all.size();
             auto d = nlohmann::json::parse(std::string_view(all).substr(pos, end - pos), nullptr, false);
             if (!d.is_discarded() && d.value("workload", "") == want) matched.push_back(std::move(d));
             pos = end + 1;
           }
           return std::min<size_t>(matched.size(), 100);
         }));
  store.reset();
  redis->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
