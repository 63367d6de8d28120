#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60),
# starting from its committed seed corpus, then prints executions per second and what was found.
# New inputs go to a scratch copy of the corpus, never into the tree; a crash leaves its input in
# ARTIFACTS (default BUILD_DIR/crashes) and fails the script: add it to test/fuzz/corpus/<target>
# once fixed, so the corpus test replays it forever.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]    (BUILD_DIR default: build-fuzz; FUZZ_SEED: a fixed
#                                            seed, so that a run is repeatable, as CI's is)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
build_dir=${BUILD_DIR:-$root/build-fuzz}
artifacts=${ARTIFACTS:-$build_dir/crashes}

if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-14-dev >/dev/null
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(reference manifest http_headers documents tar layout_tar mirror_config go_template)
fi
build_targets=""
for t in "${targets[@]}"; do build_targets+="fuzz_$t "; done
BUILD_DIR=$build_dir BUILD_TYPE=RelWithDebInfo TARGETS="$build_targets" "$root/scripts/setup.sh" \
  -DCMAKE_CXX_COMPILER=clang++ -DORAS_FUZZ=ON -DORAS_BUILD_TESTS=OFF -DORAS_BUILD_BENCH=OFF \
  -DORAS_BUILD_EXAMPLES=OFF -DORAS_INSTALL=OFF -DORAS_WERROR=ON

mkdir -p "$artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/oras-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
printf '%-14s %10s %8s %10s  %s\n' target execs exec/s corpus result
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cp "$root/test/fuzz/corpus/$t/"* "$scratch/$t/"
  log="$scratch/$t.log"
  result=ok
  seed=()
  [ -n "${FUZZ_SEED:-}" ] && seed=(-seed="$FUZZ_SEED")
  if ! "$build_dir/test/fuzz/fuzz_$t" "$scratch/$t" "${seed[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
      >"$log" 2>&1; then
    result="FAILED (input in $artifacts)"
    status=1
    tail -n 40 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  corpus=$(find "$scratch/$t" -type f | wc -l)
  printf '%-14s %10s %8s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
done
exit "$status"
