#!/usr/bin/env bash
# scripts/build.sh DIR [cmake options...]: configure (once) and build into DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share results between checkouts in different directories (CI
# builds a fresh clone each time).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
dir=$1; shift
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
else
  cmake -S . -B "$dir" "$@" >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
