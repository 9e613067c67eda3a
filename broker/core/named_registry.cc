#include "broker/core/named_registry.h"

#include <cstdio>
#include <cstdlib>

namespace icb {

void MustRegister(const Status& registered) {
  if (registered.ok()) return;
  std::fprintf(stderr, "icbroker: %s\n", registered.message().c_str());
  std::abort();
}

}  // namespace icb
