// The ranking-policy port. A policy scores a decision matrix whose cells are
// already normalised to 0..1 (higher is better); it knows nothing of providers.
// Policies live in policies/ and are registered by name in one place
// (RegisterBuiltinPolicies).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/core/named_registry.h"
#include "broker/core/status.h"
#include "broker/model/documents.h"

namespace icb {

struct DecisionMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> cells;    // row-major, rows * cols, each in [0, 1]
  std::vector<double> weights;  // cols, non-negative, summing to 1
  // When set, the cells live elsewhere (the catalog's rank table, shared by
  // every unconstrained request) and `cells` is empty: nothing is copied.
  const double* view = nullptr;
  const double* data() const { return view ? view : cells.data(); }
  double at(size_t r, size_t c) const { return data()[r * cols + c]; }
};

struct PolicyScores {
  std::vector<double> scores;         // rows; higher ranks first
  // What each column adds to row `row`'s standing, written to out[0..cols).
  // Asked only for the rows an answer returns (a top 10 of 10,000 computes
  // 10 rows); valid while the scored matrix's cells live.
  std::function<void(size_t row, double* out)> contributions;
  std::vector<double> weights;        // cols, when the policy derives its own (AHP); else empty
  std::optional<double> consistency_ratio;  // AHP
};

class RankingPolicy {
 public:
  virtual ~RankingPolicy() = default;
  virtual std::string_view name() const = 0;
  // Bumped whenever scoring changes, and stored with every result.
  virtual int version() const = 0;
  // `profile` carries policy-specific inputs (e.g. a pairwise matrix).
  virtual Result<PolicyScores> Score(const DecisionMatrix& m, const Profile& profile) const = 0;
};

class PolicyRegistry {
 public:
  using Factory = std::function<std::unique_ptr<RankingPolicy>()>;
  // AlreadyExists for a name registered before.
  Status Register(std::string name, Factory factory) { return policies_.Add(std::move(name), factory()); }
  Status ReplaceForTesting(std::string_view name, Factory factory) { return policies_.ReplaceForTesting(name, factory()); }
  // Null when unknown.
  const RankingPolicy* Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  // Ok when `name` is registered; else InvalidArgument at `pointer` listing the registered names.
  Status CheckName(const std::string& name, const std::string& pointer) const;

 private:
  NamedRegistry<std::unique_ptr<RankingPolicy>> policies_{"ranking policy"};
};

// Defined in policies/: registers weighted_sum, topsis and ahp.
void RegisterBuiltinPolicies(PolicyRegistry& registry);

}  // namespace icb
