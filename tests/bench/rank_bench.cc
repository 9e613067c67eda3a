// In-process ranking cost. Targets (issue: foundation): 1,000 providers x 8
// criteria p99 <= 100 us. Run: build/tests/bench/rank_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "broker/api/api.h"
#include "broker/api/gzip.h"
#include "broker/core/time.h"
#include "broker/ranking/ranker.h"
#include "policies/topsis.h"
#include "policies/weighted_sum.h"

namespace icb {
namespace {

DecisionMatrix RandomMatrix(size_t rows, size_t cols) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  DecisionMatrix m;
  m.rows = rows;
  m.cols = cols;
  for (size_t i = 0; i < rows * cols; ++i) m.cells.push_back(u(rng));
  m.weights.assign(cols, 1.0 / static_cast<double>(cols));
  return m;
}

// A policy alone on a decision matrix (rows x criteria).
template <typename Policy>
void BM_Policy(benchmark::State& state) {
  auto m = RandomMatrix(static_cast<size_t>(state.range(0)), static_cast<size_t>(state.range(1)));
  Policy policy;
  Profile profile;
  for (auto _ : state) benchmark::DoNotOptimize(policy.Score(m, profile));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Policy<WeightedSumPolicy>)->Name("BM_WeightedSumPolicy")->Args({1000, 8})->Args({10000, 32})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Policy<TopsisPolicy>)->Name("BM_TopsisPolicy")->Args({1000, 8})->Args({10000, 32})->Unit(benchmark::kMicrosecond);

// The whole rank of a catalog snapshot: constraints, normalisation of 15
// published targets into 7 criteria, the policy, sorting, top 10.
std::unique_ptr<CatalogSnapshot> RandomCatalog(int n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  auto snap = std::make_unique<CatalogSnapshot>();
  for (int i = 0; i < n; ++i) {
    ProviderEntry e;
    char id[16];
    std::snprintf(id, sizeof id, "p%05d", i);
    e.provider.id = id;
    e.provider.service_model = static_cast<ServiceModel>(i % 3);
    e.provider.regions = {{"r", i % 2 ? "KR" : "US"}};
    SlaVersion s;
    s.version = "1";
    s.effective_from = *ParseRfc3339("2026-01-01T00:00:00Z");
    for (int t = 0; t < kNumTargets; ++t) {
      const auto& spec = kTargets[t];
      s.targets[t] = spec.worst + (spec.best - spec.worst) * u(rng);
    }
    // The per-criterion scores the catalog computes at load.
    std::array<int, kNumCriteria> per{};
    for (int t = 0; t < kNumTargets; ++t) {
      int c = static_cast<int>(kTargets[t].criterion);
      s.criterion_scores[c] += NormaliseTarget(kTargets[t], *s.targets[t]);
      ++per[c];
    }
    for (int c = 0; c < kNumCriteria; ++c) s.criterion_scores[c] /= per[c];
    e.slas.push_back(s);
    snap->providers.push_back(std::move(e));
  }
  return snap;
}

void BM_RankCatalog(benchmark::State& state) {
  auto snap = RandomCatalog(static_cast<int>(state.range(0)));
  WeightedSumPolicy policy;
  Profile profile;
  profile.weights = {3, 2, 1, 5, 1, 1, 2};
  profile.constraints.targets[*TargetIndex("availability_percent")] = Bound{99.0, std::nullopt};
  TimePoint now = *ParseRfc3339("2026-11-23T00:00:00Z");
  for (auto _ : state) benchmark::DoNotOptimize(Rank(*snap, profile, policy, now, 10));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RankCatalog)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

// Per-call latency distribution of the same rank (the target is a p99).
void BM_RankCatalogLatency(benchmark::State& state) {
  auto snap = RandomCatalog(static_cast<int>(state.range(0)));
  WeightedSumPolicy policy;
  Profile profile;
  profile.weights = {3, 2, 1, 5, 1, 1, 2};
  TimePoint now = *ParseRfc3339("2026-11-23T00:00:00Z");
  std::vector<double> us;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(Rank(*snap, profile, policy, now, 10));
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(std::ceil(p / 100 * us.size())) - 1)]; };
  state.counters["p50_us"] = pct(50);
  state.counters["p99_us"] = pct(99);
  state.counters["max_us"] = us.back();
}
BENCHMARK(BM_RankCatalogLatency)->Arg(1000)->Iterations(20000)->Unit(benchmark::kMicrosecond);

// The whole request path minus HTTP: parse + validate the body, resolve the
// profile, snapshot (a counter read on the in-memory store), rank, render JSON.
// The HTTP benchmark's catalog and request: 1,000 providers, top 10.
struct RankRequestFixture {
  std::unique_ptr<Store> store = NewMemoryStore();
  std::shared_ptr<const SchemaSet> schemas = *SchemaSet::LoadEmbedded();
  Catalog catalog{*store, schemas};
  PolicyRegistry policies;
  std::string body = R"({"profile":{"weights":{"availability":3,"responsiveness":2,"scalability":1,"reliability":5,"service_sustainability":1,"service_support":1,"customer_response":2}},"top_k":10})";
  TimePoint now = *ParseRfc3339("2026-11-23T00:00:00Z");

  RankRequestFixture() {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < 1000; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%05d", i);
      nlohmann::json p = {{"id", id}, {"name", id}, {"service_model", "IaaS"}, {"regions", {{{"id", "r"}, {"country", "KR"}}}}};
      (void)catalog.PutProvider(id, p);
      nlohmann::json targets = nlohmann::json::object();
      for (const auto& spec : kTargets)
        if (!spec.checklist) targets[std::string(spec.name)] = spec.worst + (spec.best - spec.worst) * u(rng);
      targets["scale_max_instances"] = 100;
      (void)catalog.AppendSla(id, {{"version", "1"}, {"effective_from", "2026-01-01T00:00:00Z"}, {"targets", targets}});
    }
    RegisterBuiltinPolicies(policies);
    (void)catalog.Snapshot();
  }
};

// Parse, validate, rank and render: the request path without HTTP.
void BM_RankRequestJson(benchmark::State& state) {
  RankRequestFixture f;
  for (auto _ : state) {
    auto request = ParseJson(f.body);
    benchmark::DoNotOptimize(RankRequestToJson(f.catalog, f.policies, *request, TenantSpace::Default(), f.now));
  }
}
BENCHMARK(BM_RankRequestJson)->Unit(benchmark::kMicrosecond);

// What gzip adds to that answer for clients that accept it.
void BM_GzipRankAnswer(benchmark::State& state) {
  RankRequestFixture f;
  std::string answer = *RankRequestToJson(f.catalog, f.policies, *ParseJson(f.body), TenantSpace::Default(), f.now);
  size_t packed = 0;
  for (auto _ : state) {
    auto out = Gzip(answer);
    packed = out->size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["bytes_in"] = static_cast<double>(answer.size());
  state.counters["bytes_out"] = static_cast<double>(packed);
}
BENCHMARK(BM_GzipRankAnswer)->Unit(benchmark::kMicrosecond);

void BM_ValidateRankRequest(benchmark::State& state) {
  auto schemas = *SchemaSet::LoadEmbedded();
  auto request = *ParseJson(RankRequestFixture().body);
  for (auto _ : state) benchmark::DoNotOptimize(schemas->Validate("rank_request.json", request));
}
BENCHMARK(BM_ValidateRankRequest)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace icb

BENCHMARK_MAIN();
