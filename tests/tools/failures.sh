#!/usr/bin/env bash
# How the `depot` tool reports failed assets (issue 13): every command prints a failure as
# `key: STATUS: message (path)`. `depot inspect` lists each failed asset with that line in
# its text report and gives "failure", "message" and "path" in --json; `depot demo` stops at
# a scene that failed with the line (a missing bundle member named); `depot pack` of a
# closure that fails says which asset and why. The broken files are written here: a PNG
# with a damaged IHDR CRC, a bundle whose JSON is cut short, a bundle naming a missing PNG.
# Usage: failures.sh DEPOT_BINARY SOURCE_DIR
set -euo pipefail
depot=${1:?usage: failures.sh DEPOT_BINARY SOURCE_DIR}
src=${2:?usage: failures.sh DEPOT_BINARY SOURCE_DIR}
depot="$(cd "$(dirname "$depot")" && pwd)/$(basename "$depot")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/a/img"
cp "$src/tests/data/rgba_4x4.png" "$tmp/a/img/ok.png"
python3 - "$src/tests/data/rgba_4x4.png" "$tmp/a/img/crc.png" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[32] ^= 0xFF  # the last byte of IHDR's CRC
open(sys.argv[2], "wb").write(b)
PY
printf '{"assets": ["img/ok.png", "img/crc.png", "img/missing.png"]}' >"$tmp/a/scene1.bundle"
printf '{\n  "assets": [\n    "img/ok.png",\n    "img/o' >"$tmp/a/cut.bundle"
real=$(cd "$tmp/a" && pwd -P)

# 1. depot inspect: the text report lists each failure with its line.
rc=0
"$depot" inspect "$tmp/a" --json "$tmp/a.json" >"$tmp/inspect.txt" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/inspect.txt"; fail "inspect: exit $rc, want 1"; }
want() { grep -qF -- "$1" "$2" || { cat "$2"; fail "$3: no line '$1'"; }; }
want "img/crc.png: DP_ERR_FORMAT: libpng: IHDR: CRC error ($real/img/crc.png)" "$tmp/inspect.txt" inspect
want "img/missing.png: DP_ERR_NOT_FOUND ($real/img/missing.png)" "$tmp/inspect.txt" inspect
want "cut.bundle: DP_ERR_FORMAT: JSON syntax error at line 4, column 6 (byte 39 of 44) ($real/cut.bundle)" "$tmp/inspect.txt" inspect
# The per-root list: a shared asset that failed shows "shared DP_ERR_FORMAT" (the two ran
# together as "sharedDP_ERR_FORMAT" before).
grep -qE "^    img/crc.png +image +0 B  shared DP_ERR_FORMAT$" "$tmp/inspect.txt" ||
    { cat "$tmp/inspect.txt"; fail "inspect: no 'shared DP_ERR_FORMAT' for img/crc.png"; }
echo "ok: depot inspect lists every failure as key: STATUS: message (path)"

# 2. --json: failure, message and path of each failed asset.
python3 - "$tmp/a.json" "$real" <<'PY' || fail "inspect --json"
import json, sys
doc, real = json.load(open(sys.argv[1])), sys.argv[2]
by = {a["key"]: a for a in doc["assets"]}
want = {
    "img/crc.png": ("DP_ERR_FORMAT", "libpng: IHDR: CRC error"),
    "img/missing.png": ("DP_ERR_NOT_FOUND", None),
    "cut.bundle": ("DP_ERR_FORMAT", "JSON syntax error at line 4, column 6 (byte 39 of 44)"),
}
for key, (status, message) in want.items():
    a = by[key]
    assert a["state"] == "failed" and a["failure"] == status, a
    assert a.get("message") == message, a
    assert a["path"] == real + "/" + key, a
assert "message" not in by["img/ok.png"] and "path" not in by["img/ok.png"]
PY
echo "ok: depot inspect --json gives failure, message and path"

# 3. depot demo stops at the failed scene with its line, naming the missing member.
rc=0
(cd "$tmp" && "$depot" demo --backend null --frames 3 --scenes "$tmp/a" \
    --report "$tmp/report.html" >"$tmp/demo.txt" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/demo.txt"; fail "demo: exit $rc, want 1"; }
grep -E "^depot demo: scene1.bundle: DP_ERR_(FORMAT|NOT_FOUND): dependency img/(crc|missing).png" \
    "$tmp/demo.txt" || { cat "$tmp/demo.txt"; fail "demo: no failure line naming the member"; }
echo "ok: depot demo names the failed member of the scene"

# 4. depot pack of a closure that fails.
rc=0
"$depot" pack "$tmp/a" "$tmp/a.dpk" cut.bundle >"$tmp/pack.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "pack of a broken closure succeeded"
want "cut.bundle: DP_ERR_FORMAT: JSON syntax error at line 4, column 6 (byte 39 of 44)" "$tmp/pack.txt" pack
echo "ok: depot pack says which asset of the closure failed and why"
