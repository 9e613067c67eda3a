// Migration and replication tests' fixture: the orchestration fixture with
// the data mover copying inside the step's poll (deterministic), objects of
// mixed sizes seeded at sim-a, and deterministic bytes.
#pragma once

#include <map>
#include <string>

#include "broker/ports/object_store.h"
#include "tests/support/fakes/object_store_wrapper.h"
#include "tests/support/objects.h"
#include "tests/support/orchestrator_fakes.h"

namespace icb::testing {

// Counts the target's part uploads and whole puts, per key; can fail the
// n-th part upload, and corrupt what it stores for one key.
class CountingTarget final : public ObjectStoreWrapper {
 public:
  using ObjectStoreWrapper::ObjectStoreWrapper;
  Result<std::string> PutPart(std::string_view k, std::string_view u, int n, std::string_view d) override {
    if (fail_part_at >= 0 && parts_put == fail_part_at) {
      fail_part_at = -1;
      return Unavailable("connection reset");
    }
    ++parts_put;
    ++part_puts[std::string(k) + "#" + std::to_string(n)];
    bytes += d.size();
    if (corrupt_left > 0 && k == corrupt_key) {
      --corrupt_left;
      std::string bad(d);
      bad[bad.size() / 2] ^= 1;
      return ObjectStoreWrapper::PutPart(k, u, n, bad);
    }
    return ObjectStoreWrapper::PutPart(k, u, n, d);
  }
  Status Put(std::string_view k, ByteSource& s, uint64_t n) override {
    ++whole_puts[std::string(k)];
    bytes += n;
    if (corrupt_left > 0 && k == corrupt_key) {
      --corrupt_left;
      std::string data;
      ICB_RETURN_IF_ERROR(ReadExactly(s, n, data));
      if (!data.empty()) data[0] ^= 1;
      StringSource bad(data);
      return ObjectStoreWrapper::Put(k, bad, n);
    }
    return ObjectStoreWrapper::Put(k, s, n);
  }
  Status CompleteParts(std::string_view k, std::string_view u, const std::vector<std::string>& tags) override {
    ++completes;
    return ObjectStoreWrapper::CompleteParts(k, u, tags);
  }
  int fail_part_at = -1;
  int parts_put = 0;
  int completes = 0;
  std::string corrupt_key;
  int corrupt_left = 0;
  uint64_t bytes = 0;
  std::map<std::string, int> part_puts, whole_puts;
};

class MigrationTest : public testing::OrchestrationTest {
 protected:
  OrchestratorOptions Options(const std::string& broker) override {
    OrchestratorOptions options = OrchestrationTest::Options(broker);
    options.transfers = 0;  // copied inside the step's poll: deterministic
    return options;
  }
  void Drive(Orchestrator& o, int rounds = 200) {
    for (int i = 0; i < rounds; ++i) {
      (void)o.Reconcile();
      o.runner().Tick();
      if (o.runner().operations().Unfinished()->empty()) return;
      clock_.Advance(Millis(250));
    }
  }
  // Mixed sizes under `prefix` at sim-a: empty, small, several parts.
  std::map<std::string, std::string> Seed(const std::string& prefix, int n) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < n; ++i) {
      std::string key = prefix + "obj-" + std::to_string(i);
      std::string data = Bytes(static_cast<size_t>((i * 1777) % 6000), static_cast<unsigned>(i + 10));
      PutObject(adapters_.objects("sim-a"), key, data);
      out[key] = data;
    }
    return out;
  }
};

}  // namespace icb::testing
