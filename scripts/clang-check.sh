#!/usr/bin/env bash
# Builds the library (shared), the CLI and the unit tests with Debian's clang (warnings as
# errors), runs the unit tests, then installs that build for an outside project (find_package and
# pkg-config, against a real registry) and packages it as a .deb: the code must stay portable
# beyond g++, and the shared library must install and link as well as the static one.
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
BUILD_DIR=$build_dir BUILD_TYPE=Release TARGETS="oras-cpp oras_unit_tests oras-test-registry" \
  "$root/scripts/setup.sh" -DCMAKE_CXX_COMPILER=clang++ -DORAS_WERROR=ON -DORAS_BUILD_BENCH=OFF \
  -DORAS_BUILD_EXAMPLES=OFF -DORAS_BUILD_TESTS=ON -DBUILD_SHARED_LIBS=ON
"$build_dir/test/unit/oras_unit_tests" --gtest_brief=1
"$root/scripts/check-exports.sh" "$build_dir/src/liboras.so"
"$root/scripts/consumer-check.sh" "$build_dir"
"$root/scripts/package.sh" "$build_dir"
