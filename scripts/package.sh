#!/usr/bin/env bash
# Builds the Debian package of a build (CPack; dependencies from dpkg-shlibdeps), then checks it:
# its file list, and `oras-cpp --version` run from the package unpacked into an empty root; with
# ORAS_DEB_INSTALL=1 also installed with apt and used against a registry (see below).
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
# As root: the package installed with dpkg into an otherwise empty root, holding only a shell,
# ldconfig and the shared libraries the tool links (copied from this machine; their packages'
# Depends are checked by the apt install below). The maintainer scripts run there, dpkg's record
# of the package lists the expected files, the tool runs chrooted (with the registry below, a
# push and pull), and a purge leaves nothing of the package behind.
registry_tool="$build_dir/test/tools/oras-test-registry"
if [ "$(id -u)" -eq 0 ]; then
  croot="$out/clean-root"
  mkdir -p "$croot/etc" "$croot/work" "$croot/var/lib/dpkg/info" "$croot/var/lib/dpkg/updates"
  touch "$croot/var/lib/dpkg/status"
  needed=$( (LD_LIBRARY_PATH=$libdirs ldd "$out/root/usr/bin/oras-cpp"; ldd /bin/sh) |
    grep -oE '(^|[[:space:]])/[^[:space:]]+' | tr -d '[:blank:]' | grep -v '/liboras\.so' | sort -u)
  for f in $needed /bin/sh "$(readlink -f /bin/sh)" /sbin/ldconfig; do
    cp -L --parents "$f" "$croot/"
  done
  # The dependencies are present as files, not as packages dpkg knows of.
  dpkg --root="$croot" --force-depends -i "$deb" >/dev/null 2>&1 ||
    { dpkg --root="$croot" --force-depends -i "$deb" >&2 || true; echo "package: dpkg --root install failed" >&2; exit 1; }
  installed=$(dpkg --root="$croot" -L oras-cpp)
  for f in /usr/bin/oras-cpp /usr/share/man/man1/oras-cpp.1 /usr/include/oras/ops/blocking.hpp \
           /cmake/oras/oras-config.cmake /pkgconfig/oras.pc; do
    grep -Eq "$f\$" <<<"$installed" || { echo "package: dpkg --root -L lacks $f" >&2; exit 1; }
  done
  if grep -q 'liboras\.so' <<<"$listing"; then
    # ldconfig ran in the root (postinst) and knows the library.
    chroot "$croot" /sbin/ldconfig -p | grep -q 'liboras\.so' ||
      { echo "package: liboras is not in the clean root's ld.so cache" >&2; exit 1; }
  fi
  chroot "$croot" /usr/bin/oras-cpp version >/dev/null
  if [ -x "$registry_tool" ]; then
    printf 'installed into a clean root\n' >"$croot/work/hi.txt"
    if ! log=$("$registry_tool" -- sh -ec '
      chroot "$1" /usr/bin/oras-cpp push --no-tty "$ORAS_TEST_REGISTRY_HOST/deb/root:v1" work/hi.txt
      chroot "$1" /usr/bin/oras-cpp pull --no-tty -o /work/out "$ORAS_TEST_REGISTRY_HOST/deb/root:v1"
      cmp "$1/work/hi.txt" "$1/work/out/work/hi.txt"' sh "$croot" 2>&1); then
      echo "$log" >&2
      echo "package: push and pull from the clean root failed" >&2
      exit 1
    fi
  fi
  dpkg --root="$croot" --purge oras-cpp >/dev/null 2>&1 || { echo "package: dpkg --root --purge failed" >&2; exit 1; }
  left=$(find "$croot/usr" -name '*oras*' | head -n3)
  [ -z "$left" ] || { echo "package: the purge left $left" >&2; exit 1; }
  echo "package: installed into a clean root with dpkg, run chrooted$([ -x "$registry_tool" ] && echo ' (push and pull)'), purged"
fi

# ORAS_DEB_INSTALL=1 (CI, as root): install the package with apt, which must find every
# dependency it declares in Debian; run the installed oras-cpp against a throwaway registry
# (basic auth); then purge the package again.
if [ "${ORAS_DEB_INSTALL:-0}" = 1 ]; then
  [ -x "$registry_tool" ] || { echo "package: $registry_tool is needed to check the install" >&2; exit 1; }
  if dpkg-query -W oras-cpp >/dev/null 2>&1; then
    echo "package: oras-cpp is already installed here; not replacing it" >&2
    exit 1
  fi
  trap 'dpkg --purge oras-cpp >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
  [ "$(command -v oras-cpp)" = /usr/bin/oras-cpp ] || { echo "package: oras-cpp is not on PATH" >&2; exit 1; }
  /usr/bin/oras-cpp version
  ls /usr/share/man/man1/oras-cpp.1* >/dev/null
  work=$(mktemp -d "${TMPDIR:-/tmp}/oras-deb-XXXXXX")
  printf 'installed from a .deb\n' >"$work/hi.txt"
  "$registry_tool" --auth basic -- sh -ec '
    cd "$1"
    /usr/bin/oras-cpp push -u "$ORAS_TEST_USER" -p "$ORAS_TEST_PASSWORD" --no-tty \
      "$ORAS_TEST_REGISTRY_HOST/deb/check:v1" hi.txt
    /usr/bin/oras-cpp pull -u "$ORAS_TEST_USER" -p "$ORAS_TEST_PASSWORD" --no-tty \
      -o out "$ORAS_TEST_REGISTRY_HOST/deb/check:v1"
    cmp hi.txt out/hi.txt' sh "$work"
  rm -rf "$work"
  dpkg --purge oras-cpp >/dev/null
  echo "package: installed with apt, pushed and pulled with /usr/bin/oras-cpp, purged"
fi
if [ -n "${2:-}" ]; then
  echo "$deb"
else
  echo "package: $(basename "$deb") checked, then removed (give OUT_DIR to keep it)"
fi
