#!/usr/bin/env bash
# Installs the Debian 12 packages icbroker needs to build, run, test and
# benchmark. Idempotent and quick when everything is present.
#   scripts/setup.sh              everything (a developer's or CI's machine)
#   scripts/setup.sh --only build what compiling the broker needs, no tests
#   scripts/setup.sh --only run   what the built broker needs at run time
# (the container file, deploy/container/Containerfile, uses the last two).
set -euo pipefail

only=${2:-}
[ "${1:-}" = "--only" ] || only=""
[ "${1:-}" = "--only" ] && [ "$only" != build ] && [ "$only" != run ] && { echo "setup: --only build or --only run" >&2; exit 2; }

# What the icbroker binary loads (ldd), its embedded redis-server, and the
# health check's client; tests/e2e/deploy_test.cc checks this list against
# the binary's libraries.
run_packages=(
  libcpprest2.10 libhiredis0.14 libre2-9 libssl3 zlib1g libbrotli1 libstdc++6
  redis-server ca-certificates curl tzdata
)
build_packages=(
  g++ cmake ninja-build pkg-config python3
  libcpprest-dev libboost-dev libhiredis-dev nlohmann-json3-dev libre2-dev libssl-dev zlib1g-dev libcli11-dev
)
packages=(
  "${run_packages[@]}" "${build_packages[@]}"
  make lld ccache clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  wrk
  awscli pdns-server pdns-backend-sqlite3 sqlite3 haproxy dnsutils rclone openssl
  prometheus  # for promtool: a test checks GET /metrics as Prometheus reads it
  systemd  # for systemd-analyze: a test verifies deploy/systemd's unit and its hardening
  chromium  # the operator console's browser test drives it headless (tools/browser)
)
case "$only" in
  build) packages=("${build_packages[@]}") ;;
  run) packages=("${run_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js runs the lab's S3 server; any install that provides node and npm will do.
if [ -z "$only" ] && ! { command -v node && command -v npm; } >/dev/null; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages exactly as a folder's package-lock.json locks them, reinstalled
# only when the lockfile changes.
npm_ci_locked() {
  local dir=$1 what=$2 stamp="$1/node_modules/.icbroker-lock"
  if ! cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
    echo "setup: installing $what ($dir)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$dir/package-lock.json" "$stamp"
  fi
}
[ -z "$only" ] || exit 0
here="$(dirname "$0")/.."
# The four side by side: each waits on npm's cache and the disk more than
# on a core (one after another, a fresh clone's setup took about 50 s).
pids=()
npm_ci_locked "$here/deploy/lab" "the lab's npm packages" & pids+=($!)
npm_ci_locked "$here/tools/openapi" "the OpenAPI linter" & pids+=($!)
npm_ci_locked "$here/tools/kubernetes" "the Kubernetes manifest checker" & pids+=($!)
npm_ci_locked "$here/tools/browser" "the console's browser test (playwright-core, axe-core)" & pids+=($!)
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
