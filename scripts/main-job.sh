#!/usr/bin/env bash
# The main job: install what is missing, build, start throwaway local registries (the Debian
# docker-registry) and reach them with the oras-cpp client.
#
# Until push and pull land, the client's part is the distribution API handshake: GET /v2/
# through oras-cpp's HTTP client over plain HTTP, over TLS with a test CA, and against a
# token-protected registry (which must answer with a Bearer challenge).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
export BUILD_DIR=$build_dir
"$root/scripts/setup.sh" -DORAS_BUILD_TESTS=ON -DORAS_BUILD_EXAMPLES=ON

registry="$build_dir/test/tools/oras-test-registry"
ping="$build_dir/examples/oras_example_ping"

echo "== anonymous registry over plain HTTP =="
"$registry" -- sh -c '"$0" "$ORAS_TEST_REGISTRY_HOST"' "$ping"

echo "== registry over TLS, trusted through a test CA =="
"$registry" --tls -- sh -c '"$0" "$ORAS_TEST_REGISTRY_HOST" --ca-file "$ORAS_TEST_REGISTRY_CA"' "$ping"

echo "== token-protected registry: a Bearer challenge naming the token service =="
"$registry" --auth token -- sh -c '"$0" "$ORAS_TEST_REGISTRY_HOST" | tee /dev/stderr | grep -q "challenge: Bearer realm="' "$ping"

echo "== the manifest 'oras push' would write for this script =="
"$build_dir/examples/oras_example_inspect" localhost:5000/demo/scripts:v1 "$root/scripts/main-job.sh"

echo "main job: ok"
