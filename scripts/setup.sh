#!/usr/bin/env bash
# Installs the Debian 12 packages oras-cpp needs (only those missing; `apt-get update` at most
# once), then configures and builds with Ninja and ccache.
#
#   scripts/setup.sh [extra cmake arguments...]
#
# Environment: BUILD_DIR (default: build), BUILD_TYPE (default: Release), JOBS (default:
# the number of cores), TARGETS (default: all).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  cmake ninja-build ccache g++ pkg-config
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libsimdjson-dev libssl-dev zlib1g-dev libarchive-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  docker-registry apache2-utils openssl skopeo doxygen fish
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" \
  >/dev/null
targets=()
if [ -n "${TARGETS:-}" ]; then
  read -r -a names <<<"$TARGETS"
  targets=(--target "${names[@]}")
fi
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" "${targets[@]}"
