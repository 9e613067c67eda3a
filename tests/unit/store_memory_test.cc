#include "tests/store_conformance.h"

namespace icb {
namespace {

struct MemoryFactory {
  ManualClock clock{TimePoint(Millis(1'700'000'000'000))};
  std::unique_ptr<Store> Make() { return NewMemoryStore(&clock); }
  void Elapse(Millis d) { clock.Advance(d); }
};
using MemoryFactories = ::testing::Types<MemoryFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreConformance, MemoryFactories);

}  // namespace
}  // namespace icb
