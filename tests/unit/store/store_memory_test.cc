#include "tests/support/store_conformance.h"

namespace icb {
namespace {

struct MemoryFactory {
  ManualClock clock{TimePoint(Millis(1'700'000'000'000))};
  std::unique_ptr<Store> Make() { return NewMemoryStore(&clock); }
  // Every lease the test holds runs out: a day passes.
  void ExpireLease(const std::string&) { clock.Advance(std::chrono::hours(24)); }
};
using MemoryFactories = ::testing::Types<MemoryFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreConformance, MemoryFactories);

}  // namespace
}  // namespace icb
