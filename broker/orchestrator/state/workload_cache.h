// The workload documents parsed, shared by the loops that read them all
// (the reconciler, the detector, the replicator, the burst controller):
// read again only when the collection's version counter moved, and then
// only the documents whose text changed are parsed. At ten thousand
// workloads, each loop listing and parsing every document on every pass was
// a share of a core and most of the heap's churn.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/catalog/catalog.h"
#include "broker/model/workload.h"

namespace icb {

struct CachedWorkload {
  std::shared_ptr<const Workload> workload;
  std::string digest;  // SpecDigest of its document
};

// The collection at one version, ascending id. Immutable once read: a
// reader keeps the one it was given while a newer one is read.
struct WorkloadSet {
  long long version = 0;
  std::vector<CachedWorkload> all;
};

class WorkloadCache {
 public:
  explicit WorkloadCache(Catalog& catalog) : catalog_(catalog) {}
  WorkloadCache(const WorkloadCache&) = delete;
  WorkloadCache& operator=(const WorkloadCache&) = delete;

  // The current documents: one counter read when nothing changed. An error
  // when the store is away (callers keep what they had). Documents that do
  // not parse are left out (the API stores only valid ones).
  Result<std::shared_ptr<const WorkloadSet>> Read();

 private:
  Catalog& catalog_;
  std::mutex mu_;  // one reader re-reads at a time; the others wait for its set
  std::shared_ptr<const WorkloadSet> current_;
  // Of current_: its entries by their document text's SHA-256, so an
  // unchanged text is not parsed again (the digest, not the text: ten
  // thousand texts kept only as keys were a tenth of the broker's heap);
  // `seen` is the read that last listed it.
  struct Known {
    CachedWorkload entry;
    uint64_t seen = 0;
  };
  std::unordered_map<std::string, Known> by_text_;  // raw SHA-256 (core/crypto.h) -> entry
  uint64_t generation_ = 0;
};

}  // namespace icb
