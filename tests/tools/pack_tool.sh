#!/usr/bin/env bash
# `depot pack` on the demo's assets: the pack verifies, extracting it gives the same bytes
# as the folder (diff -r), packing twice gives the same file, a flipped byte in an entry is
# found by --verify (exit 1), and packing the closure of scene1.bundle takes only the files
# it reaches; `depot demo --pack` runs from a pack with its hot swap through a mod folder;
# and `depot catalog` keeps ids across renames and writes redirects.
# Usage: pack_tool.sh DEPOT_BINARY SOURCE_DIR
set -euo pipefail

depot=${1:?usage: pack_tool.sh DEPOT_BINARY SOURCE_DIR}
src=${2:?usage: pack_tool.sh DEPOT_BINARY SOURCE_DIR}
depot="$(cd "$(dirname "$depot")" && pwd)/$(basename "$depot")"
src="$(cd "$src" && pwd)"
assets="$src/examples/assets"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$depot" pack "$assets" "$tmp/a.dpk" || fail "pack"
"$depot" pack --verify "$tmp/a.dpk" || fail "verify of a fresh pack"
"$depot" pack --extract "$tmp/a.dpk" "$tmp/out" || fail "extract"
diff -r "$assets" "$tmp/out" || fail "extracted files differ from the folder"

# The same folder, copied in another order of creation, packs to the same bytes.
mkdir "$tmp/copy"
(cd "$assets" && find . -type f | sort -r | while read -r f; do
    mkdir -p "$tmp/copy/$(dirname "$f")"; cp "$f" "$tmp/copy/$f"; done)
"$depot" pack "$tmp/copy" "$tmp/b.dpk" >/dev/null || fail "pack of the copy"
cmp "$tmp/a.dpk" "$tmp/b.dpk" || fail "the same files gave different packs"

# A flipped byte in the first entry's data (it starts right after the 64-byte header).
cp "$tmp/a.dpk" "$tmp/bad.dpk"
byte=$(od -An -tu1 -j 100 -N 1 "$tmp/bad.dpk" | tr -d ' ')
printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$tmp/bad.dpk" bs=1 seek=100 conv=notrunc 2>/dev/null
set +e
"$depot" pack --verify "$tmp/bad.dpk" > "$tmp/verify.txt"
rc=$?
set -e
[ "$rc" = 1 ] || fail "--verify of a corrupt pack exited $rc, not 1"
grep -q "^BAD " "$tmp/verify.txt" || fail "no BAD line: $(cat "$tmp/verify.txt")"

# The closure of scene1.bundle: its files, not scene2's.
"$depot" pack "$assets" "$tmp/s1.dpk" scene1.bundle >/dev/null || fail "closure pack"
"$depot" pack --list "$tmp/s1.dpk" > "$tmp/s1.txt"
grep -q " scene1.bundle$" "$tmp/s1.txt" || fail "scene1.bundle missing from its closure"
grep -q " scene2.bundle$" "$tmp/s1.txt" && fail "scene2.bundle packed though scene1 does not reach it"
n=$(grep -c "^\(zstd\|stored\) " "$tmp/s1.txt")
all=$(find "$assets" -type f | wc -l)
[ "$n" -lt "$all" ] || fail "the closure packed $n of $all files"
echo "pack_tool: ok ($n of $all files in scene1's closure)"

# `depot demo --pack`: every asset from the pack, the hot swap through a mod folder, no leak.
(cd "$tmp" && "$depot" demo --pack --backend null --frames 3 --scenes "$assets" \
    --report "$tmp/report.html" > "$tmp/demo.txt" 2>&1) || fail "demo --pack: $(tail -5 "$tmp/demo.txt")"
grep -q -- "--pack: .* files packed into" "$tmp/demo.txt" || fail "demo --pack did not pack"
grep -q "the file watcher reloaded it (MODIFIED" "$tmp/demo.txt" || fail "demo --pack: no hot swap: $(grep 'hot swap' "$tmp/demo.txt")"
grep -q "dp_destroy: 0 leaked -> clean" "$tmp/demo.txt" || fail "demo --pack leaked"
echo "pack_tool: demo --pack ok"

# `depot catalog`: ids survive a rename (matched by content), the old key redirects, and a
# second rename keeps the id and points every old key at the newest name.
mkdir "$tmp/cat" && cp -r "$assets/." "$tmp/cat/"
"$depot" catalog "$tmp/cat" "$tmp/c1" >/dev/null || fail "catalog"
id=$(awk -F'\t' '$4 == "img/ui.png" {print $2}' "$tmp/c1")
[ -n "$id" ] || fail "no id for img/ui.png"
mv "$tmp/cat/img/ui.png" "$tmp/cat/img/ui_v2.png"
"$depot" pack "$tmp/cat" "$tmp/c.dpk" --catalog "$tmp/c2" --previous "$tmp/c1" >/dev/null || fail "pack --catalog"
[ "$(awk -F'\t' '$4 == "img/ui_v2.png" {print $2}' "$tmp/c2")" = "$id" ] || fail "the renamed file lost its id"
grep -q "^redirect	img/ui.png	img/ui_v2.png$" "$tmp/c2" || fail "no redirect: $(grep redirect "$tmp/c2")"
mv "$tmp/cat/img/ui_v2.png" "$tmp/cat/img/ui_v3.png"
"$depot" catalog "$tmp/cat" "$tmp/c3" --previous "$tmp/c2" >/dev/null || fail "catalog 3"
[ "$(awk -F'\t' '$4 == "img/ui_v3.png" {print $2}' "$tmp/c3")" = "$id" ] || fail "second rename lost the id"
grep -q "^redirect	img/ui.png	img/ui_v3.png$" "$tmp/c3" || fail "old redirect not updated"
grep -q "^redirect	img/ui_v2.png	img/ui_v3.png$" "$tmp/c3" || fail "no redirect from the second name"
echo "pack_tool: catalog ok"
