#!/usr/bin/env bash
# Checks that a shared liboras exports its public API and nothing else of its own: every exported
# symbol of the library's namespace must name things declared in the public headers. (Template
# instantiations of std:: and boost:: types are exported as the toolchain requires, e.g. Asio's
# per-service ids must be one object across the library and its user; they are not checked.)
#
#   scripts/check-exports.sh LIBORAS_SO [INCLUDE_DIR]   (INCLUDE_DIR default: include/)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=${1:?usage: check-exports.sh LIBORAS_SO [INCLUDE_DIR]}
include_dir=${2:-$root/include}

# Every identifier the public headers mention.
words=$(mktemp)
trap 'rm -f "$words"' EXIT
find "$include_dir/oras" -name '*.hpp' -exec grep -ohE '[A-Za-z_][A-Za-z0-9_]*' {} + | sort -u >"$words"

# Demangled names of the exported, defined symbols that belong to the library itself: strip the
# ABI prefixes (vtable, typeinfo, thunks, guard variables) and ABI tags, cut the names at their
# argument list or template arguments, drop a function template's return type, and keep the
# names in oras::.
names=$(nm -D --defined-only -C "$lib" | cut -d' ' -f3- |
  sed -E 's/^(typeinfo name for|typeinfo for|vtable for|VTT for|construction vtable for|non-virtual thunk to|virtual thunk to|guard variable for|covariant return thunk to) //' |
  sed -E 's/\[abi:[a-z0-9]+\]//g; s/[(<].*//; s/.* //' | grep -E '^oras::' | sort -u)
[ -n "$names" ] || { echo "check-exports: $lib exports nothing of oras::" >&2; exit 1; }

bad=0
while IFS= read -r name; do
  case $name in *"anonymous namespace"*)
    echo "check-exports: exported from an anonymous namespace: $name" >&2
    bad=1
    continue
    ;;
  esac
  IFS=':' read -ra parts <<<"${name//::/:}"
  for part in "${parts[@]}"; do
    part=${part#\~}
    case $part in '' | oras | operator* | '{lambda'* | *' '*) continue ;; esac
    if ! grep -qxF "$part" "$words"; then
      echo "check-exports: $name is exported, but '$part' is not in the public headers" >&2
      bad=1
      break
    fi
  done
done <<<"$names"
[ "$bad" = 0 ] || exit 1
echo "check-exports: $(wc -l <<<"$names") exported oras:: names, all from the public headers"
