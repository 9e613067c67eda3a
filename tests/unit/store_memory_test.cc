#include "tests/store_conformance.h"

namespace icb {
namespace {

struct MemoryFactory {
  std::unique_ptr<Store> Make() { return NewMemoryStore(); }
};
using MemoryFactories = ::testing::Types<MemoryFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, StoreConformance, MemoryFactories);

}  // namespace
}  // namespace icb
