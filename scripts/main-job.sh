#!/usr/bin/env bash
# The main job: install what is missing, build, start a throwaway local registry (the Debian
# docker-registry, on a free loopback port), push a file and a directory to it with the
# oras-cpp CLI, pull them back into a fresh directory and check them byte for byte. Then the
# same through a token-protected registry (password on stdin) and an htpasswd one over TLS, and
# a graph copy (oras-cpp cp) to another repository and into an OCI layout, pulled back, and a
# signature attached, discovered and copied along (cp -r).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir
"$root/scripts/setup.sh" -DORAS_BUILD_TESTS=ON -DORAS_BUILD_EXAMPLES=ON

registry="$build_dir/test/tools/oras-test-registry"
export ORAS_CPP="$build_dir/src/oras-cpp"
work=$(mktemp -d "${TMPDIR:-/tmp}/oras-main-job-XXXXXX")
trap 'rm -rf "$work"' EXIT

# What is pushed: a file, and a directory with nested content, an empty directory and a symlink.
mkdir -p "$work/in/site/assets" "$work/in/site/empty"
cp "$root/README.md" "$work/in/notes.md"
head -c 5000000 /dev/urandom > "$work/in/site/assets/blob.bin"
printf '<h1>hello</h1>\n' > "$work/in/site/index.html"
ln -s index.html "$work/in/site/home.html"
export WORK="$work"

oras() {  # the CLI, fed the password on stdin when PASSWORD_STDIN is set
    if [[ -n "${PASSWORD_STDIN:-}" ]]; then
        printf '%s\n' "$PASSWORD_STDIN" | "$ORAS_CPP" "$@" --password-stdin
    else
        "$ORAS_CPP" "$@"
    fi
}
export -f oras

round_trip() {  # runs inside oras-test-registry, which exports ORAS_TEST_REGISTRY_*
    set -euo pipefail
    local ref="$ORAS_TEST_REGISTRY_HOST/demo/artifact:v1"
    cd "$WORK/in"
    oras push "$ref" notes.md:text/markdown site --artifact-type application/vnd.demo \
        -a "org.opencontainers.image.description=main job" --no-tty "$@"
    rm -rf "$WORK/out" && mkdir "$WORK/out"
    oras pull "$ref" -o "$WORK/out" --no-tty "$@"
    diff -r --no-dereference "$WORK/in" "$WORK/out"
    echo "round trip through $ref: identical"
}
export -f round_trip

copy_round_trip() {  # oras-cpp cp: to another repository (blobs mounted), then into a layout
    set -euo pipefail
    local ref="$ORAS_TEST_REGISTRY_HOST/demo/artifact:v1"
    local copy="$ORAS_TEST_REGISTRY_HOST/demo/copy"
    cd "$WORK/in"
    oras push "$ref" notes.md:text/markdown site --no-tty
    oras cp "$ref" "$copy:v1,stable" --no-tty
    rm -rf "$WORK/layout" "$WORK/out" && mkdir "$WORK/out"
    oras cp --to-oci-layout "$copy:stable" "$WORK/layout:v1" --no-tty
    oras pull --oci-layout "$WORK/layout:v1" -o "$WORK/out" --no-tty
    diff -r --no-dereference "$WORK/in" "$WORK/out"
    echo "copied to $copy and into an OCI layout: identical"
}
export -f copy_round_trip

referrers_round_trip() {  # attach a signature, discover it, copy both with cp -r
    set -euo pipefail
    local ref="$ORAS_TEST_REGISTRY_HOST/demo/signed:v1"
    cd "$WORK/in"
    oras push "$ref" notes.md --no-tty
    printf 'signed by the main job\n' > "$WORK/sig.txt"
    oras attach --artifact-type application/vnd.demo.signature "$ref" "$WORK/sig.txt" \
        --disable-path-validation -a org.example.signer=main-job --no-tty
    oras discover "$ref"
    oras cp -r "$ref" "$ORAS_TEST_REGISTRY_HOST/demo/signed-copy:v1" --no-tty
    oras discover --format json "$ORAS_TEST_REGISTRY_HOST/demo/signed-copy:v1" \
        | grep -q '"artifactType": "application/vnd.demo.signature"'
    echo "attached, discovered, and copied with its referrer"
}
export -f referrers_round_trip

echo "== anonymous registry over plain HTTP =="
"$registry" -- bash -c 'round_trip'

echo "== graph copy: registry -> registry -> OCI layout -> files =="
"$registry" -- bash -c 'copy_round_trip'

echo "== referrers: attach, discover, cp -r =="
"$registry" -- bash -c 'referrers_round_trip'

echo "== token-protected registry (bearer tokens from its token service), password on stdin =="
"$registry" --auth token -- bash -c \
    'PASSWORD_STDIN="$ORAS_TEST_PASSWORD" round_trip -u "$ORAS_TEST_USER"'

echo "== htpasswd-protected registry over TLS, trusted through a test CA =="
"$registry" --auth basic --tls -- bash -c \
    'round_trip --ca-file "$ORAS_TEST_REGISTRY_CA" -u "$ORAS_TEST_USER" -p "$ORAS_TEST_PASSWORD"'

echo "main job: ok"
