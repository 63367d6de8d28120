#!/usr/bin/env bash
# Installs a build into a temporary prefix, then builds test/consumer (a project outside the
# tree) against it twice — with find_package(oras CONFIG) and with pkg-config — and runs both
# against a throwaway registry: they push a file and pull it back.
#
#   scripts/consumer-check.sh [BUILD_DIR]     (default: $BUILD_DIR, else build/)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-${BUILD_DIR:-$root/build}}
work=$(mktemp -d "${TMPDIR:-/tmp}/oras-consumer-XXXXXX")
trap 'rm -rf "$work"' EXIT

prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for f in bin/oras-cpp include/oras/ops/blocking.hpp; do
  [ -e "$prefix/$f" ] || { echo "consumer-check: $f was not installed" >&2; exit 1; }
done
config=$(find "$prefix" -name oras-config.cmake | head -n1)
pc=$(find "$prefix" -name oras.pc | head -n1)
[ -n "$config" ] || { echo "consumer-check: no oras-config.cmake installed" >&2; exit 1; }
[ -n "$pc" ] || { echo "consumer-check: no oras.pc installed" >&2; exit 1; }

echo "consumer-check: find_package(oras) from $prefix"
cmake -S "$root/test/consumer" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null

echo "consumer-check: pkg-config oras ($pc)"
export PKG_CONFIG_PATH=$(dirname "$pc")
if [ -z "$(find "$prefix" -name 'liboras.a' | head -n1)" ]; then
  # A shared liboras asks nothing of its consumers' build: no other package's .pc file.
  leaked=$(pkg-config --print-requires --print-requires-private oras)
  [ -z "$leaked" ] || { echo "consumer-check: the shared oras.pc requires: $leaked" >&2; exit 1; }
fi
# shellcheck disable=SC2046
g++ -std=c++20 -O1 "$root/test/consumer/main.cpp" -o "$work/pkg-config-consumer" \
  $(pkg-config --cflags --libs oras)

registry=$build_dir/test/tools/oras-test-registry
"$registry" -- "$work/cmake-build/oras_consumer"
# A shared liboras outside the loader's paths is found as a user would point at it.
LD_LIBRARY_PATH=$(pkg-config --variable=libdir oras)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  "$registry" -- "$work/pkg-config-consumer"
echo "consumer-check: both consumers pushed and pulled"
