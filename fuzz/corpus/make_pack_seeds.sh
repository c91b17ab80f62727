#!/usr/bin/env bash
# fuzz/corpus/make_pack_seeds.sh <depot-binary> — regenerates the pack fuzzer's seeds in
# fuzz/corpus/pack/: small packs (under fuzz/run.sh's 512-byte input limit) made by
# `depot pack` from generated files: stored and zstd entries, folders, an empty pack.
set -euo pipefail
depot="${1:?usage: make_pack_seeds.sh <depot-binary>}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/pack"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/mixed/img" "$work/mixed/txt" "$work/one" "$work/empty"
printf 'abababababababababababababababababababababababababababababababababababababab\n' > "$work/mixed/txt/a.txt"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR-not-really' > "$work/mixed/img/b.png"
printf 'x' > "$work/mixed/c"
printf 'hello' > "$work/one/hello.txt"
"$depot" pack "$work/mixed" "$out/mixed.dpk" >/dev/null
"$depot" pack "$work/mixed" "$out/mixed_stored.dpk" --store >/dev/null
"$depot" pack "$work/one" "$out/one.dpk" >/dev/null
"$depot" pack "$work/empty" "$out/empty.dpk" >/dev/null
ls -l "$out"
