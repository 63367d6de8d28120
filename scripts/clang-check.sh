#!/usr/bin/env bash
# Builds the library, the CLI and the unit tests with Debian's clang (warnings as errors) and
# runs the unit tests: the code must stay portable beyond g++.
#
#   scripts/clang-check.sh        (BUILD_DIR default: build-clang)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v clang++ >/dev/null; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    clang >/dev/null
fi
build_dir=${BUILD_DIR:-$root/build-clang}
BUILD_DIR=$build_dir BUILD_TYPE=Release TARGETS="oras-cpp oras_unit_tests" \
  "$root/scripts/setup.sh" -DCMAKE_CXX_COMPILER=clang++ -DORAS_WERROR=ON -DORAS_BUILD_BENCH=OFF \
  -DORAS_BUILD_EXAMPLES=OFF -DORAS_BUILD_TESTS=ON
"$build_dir/test/unit/oras_unit_tests" --gtest_brief=1
