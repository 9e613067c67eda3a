#!/usr/bin/env bash
# Installs the Debian 12 packages icbroker needs to build, run, test and
# benchmark. Idempotent and quick when everything is present.
set -euo pipefail

packages=(
  g++ cmake make pkg-config ccache python3 curl tzdata
  libcpprest-dev libhiredis-dev nlohmann-json3-dev libvalijson-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server wrk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
