#!/usr/bin/env bash
# scripts/build.sh DIR [cmake options...]: configure (once) and build into DIR
# with Ninja, each library and test executable compiled in unity batches
# (the heavy headers, nlohmann/json, gtest and Beast, parsed once per batch
# instead of once per file: the cold build is what a newcomer waits for).
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share results between checkouts in different directories (CI
# builds a fresh clone each time).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
dir=$1; shift
# A folder configured by an older script (Makefiles) is configured afresh.
if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
  echo "build: $dir was configured for another generator; configuring it afresh" >&2
  rm -rf "$dir"
fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 "$@" >/dev/null
else
  cmake -S . -B "$dir" "$@" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
