#!/usr/bin/env bash
# Installs the Debian 12 packages icbroker needs to build, run, test and
# benchmark. Idempotent and quick when everything is present.
set -euo pipefail

packages=(
  g++ cmake make ninja-build lld pkg-config ccache python3 curl tzdata clang libclang-rt-14-dev
  libcpprest-dev libboost-dev libhiredis-dev nlohmann-json3-dev libre2-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  redis-server wrk
  awscli pdns-server pdns-backend-sqlite3 sqlite3 haproxy dnsutils rclone openssl
  prometheus  # for promtool: a test checks GET /metrics as Prometheus reads it
  systemd  # for systemd-analyze: a test verifies deploy/systemd's unit and its hardening
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js runs the lab's S3 server; any install that provides node and npm will do.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

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
here="$(dirname "$0")/.."
npm_ci_locked "$here/deploy/lab" "the lab's npm packages"
npm_ci_locked "$here/tools/openapi" "the OpenAPI linter"
