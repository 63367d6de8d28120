#!/usr/bin/env bash
# The full test suite: installs what is missing, builds, and runs every test (unit, transport,
# integration against real registries started on loopback, examples, header checks).
#
#   scripts/test.sh [extra cmake arguments...]      (BUILD_DIR as for setup.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir

"$root/scripts/setup.sh" -DORAS_BUILD_TESTS=ON -DORAS_BUILD_EXAMPLES=ON -DORAS_WERROR=ON "$@"

status=0
ctest --test-dir "$build_dir" --output-on-failure -j "${JOBS:-$(nproc)}" --timeout 600 || status=$?

# Every registry a test started must be gone, whatever the outcome.
if leftover=$(pgrep -af 'oras-test-registry-' | grep -v pgrep); then
  echo "test: registry processes left behind:" >&2
  echo "$leftover" >&2
  pkill -KILL -f 'oras-test-registry-' || true
  status=1
fi
exit "$status"
