#!/usr/bin/env bash
# Builds the Debian package of a build (CPack; dependencies from dpkg-shlibdeps), then checks it:
# its file list, and `oras-cpp --version` run from the package unpacked into an empty root.
#
#   scripts/package.sh [BUILD_DIR [OUT_DIR]]   (BUILD_DIR default: $BUILD_DIR, else build/; the
#                                              .deb is kept in OUT_DIR, else checked and removed)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-${BUILD_DIR:-$root/build}}
if ! command -v dpkg-shlibdeps >/dev/null; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    dpkg-dev >/dev/null
fi
if [ -n "${2:-}" ]; then
  mkdir -p "$2"
  out=$(cd "$2" && pwd)
  trap 'rm -rf "$out/root" "$out/_CPack_Packages"' EXIT
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/oras-package-XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi
(cd "$build_dir" && cpack -G DEB -B "$out" >/dev/null)
deb=$(find "$out" -maxdepth 1 -name 'oras-cpp_*.deb' | head -n1)
[ -n "$deb" ] || { echo "package: cpack made no .deb" >&2; exit 1; }

listing=$(dpkg-deb -c "$deb")
for f in ./usr/bin/oras-cpp ./usr/share/man/man1/oras-cpp.1 ./usr/include/oras/ops/blocking.hpp '/liboras\.(a|so\.[0-9.]+)' \
         /cmake/oras/oras-config.cmake /cmake/oras/oras-targets.cmake /pkgconfig/oras.pc; do
  if ! grep -Eq "$f\$" <<<"$listing"; then
    echo "package: $f is not in $deb" >&2
    echo "$listing" >&2
    exit 1
  fi
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libssl3 libarchive13 libyaml-cpp; do
  grep -q "$lib" <<<"$depends" || { echo "package: Depends lacks $lib: $depends" >&2; exit 1; }
done
mkdir -p "$out/root"
dpkg-deb -x "$deb" "$out/root"
# A shared liboras comes in the package too: found there, as the installed tool finds it in /usr.
libdirs=$(find "$out/root/usr" -name 'liboras.so*' -printf '%h\n' | sort -u | paste -sd:)
LD_LIBRARY_PATH=${libdirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$out/root/usr/bin/oras-cpp" --version
if [ -n "${2:-}" ]; then
  echo "$deb"
else
  echo "package: $(basename "$deb") checked, then removed (give OUT_DIR to keep it)"
fi
