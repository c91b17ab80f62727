#!/usr/bin/env bash
# `depot inspect` (issue 9, defect 6): it reports only once every load has settled, so a
# root that fails early (a bundle whose first member is missing) does not leave the rest
# of the graph half-loaded in the report, and the totals are the same on every run; and
# `depot inspect DIR` inspects a folder: every file with a known extension is a root, the
# others are skipped.
# Usage: inspect.sh DEPOT_BINARY SOURCE_DIR
set -euo pipefail
depot=${1:?usage: inspect.sh DEPOT_BINARY SOURCE_DIR}
src=${2:?usage: inspect.sh DEPOT_BINARY SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. A bundle whose first member is missing, then 24 PNGs of 384x384 that take a while to
#    decode (random pixels, written here).
mkdir -p "$tmp/a/img"
python3 - "$tmp/a" <<'PY'
import json, random, struct, sys, zlib
out = sys.argv[1]
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
w = h = 384
names = []
for i in range(24):
    rnd = random.Random(i)
    raw = b"".join(b"\0" + rnd.randbytes(w * 4) for _ in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
    name = "img/p%02d.png" % i
    open(out + "/" + name, "wb").write(png)
    names.append(name)
json.dump({"assets": ["img/missing.png"] + names}, open(out + "/bad.bundle", "w"))
PY
totals=""
for run in 1 2 3; do
    rc=0
    "$depot" inspect "$tmp/a/bad.bundle" --json "$tmp/a$run.json" >"$tmp/a$run.log" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || { cat "$tmp/a$run.log"; fail "run $run: exit $rc, want 1 (a missing asset)"; }
    total=$(python3 - "$tmp/a$run.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
states = {}
for a in doc["assets"]:
    states[a["state"]] = states.get(a["state"], 0) + 1
unsettled = states.get("pending", 0) + states.get("loading", 0)
print("%d %d %d %d" % (unsettled, states.get("loaded", 0), states.get("failed", 0),
                       sum(a["bytes"] for a in doc["assets"])))
PY
)
    read -r unsettled loaded failed bytes <<<"$total"
    [ "$unsettled" -eq 0 ] || fail "run $run: $unsettled assets still loading in the report"
    [ "$loaded" -eq 25 ] || fail "run $run: $loaded assets loaded, want 25 (the bundle, 24 PNGs)"
    [ "$failed" -eq 1 ] || fail "run $run: $failed failed, want 1 (the missing PNG)"
    [ -z "$totals" ] || [ "$totals" = "$bytes" ] || fail "run $run: total $bytes, before $totals"
    totals=$bytes
done
echo "ok: a failing root is reported after every load settled ($totals bytes, 3 runs)"

# 2. A folder: its PNGs and its bundle are roots; a file of an extension no type claims is skipped.
mkdir -p "$tmp/b/img" "$tmp/b/more"
for f in rgba_4x4 rgb_3x2 grey_5x3; do cp "$src/tests/data/$f.png" "$tmp/b/img/"; done
cp "$src/tests/data/palette_trns_4x2.png" "$tmp/b/more/"
echo '{"assets": ["img/rgba_4x4.png", "img/rgb_3x2.png"]}' >"$tmp/b/scene.bundle"
echo "not an asset" >"$tmp/b/notes.xyz"
rc=0
"$depot" inspect "$tmp/b" --json "$tmp/b.json" >"$tmp/b.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/b.log"; fail "inspect DIR: exit $rc, want 0"; }
grep -q ": 5 roots, 5 assets" "$tmp/b.log" || { cat "$tmp/b.log"; fail "inspect DIR: want 5 roots"; }
grep -q "more/palette_trns_4x2.png" "$tmp/b.log" || fail "inspect DIR: a subfolder was not walked"
grep -q "notes.xyz" "$tmp/b.log" && fail "inspect DIR: notes.xyz was not skipped"
echo "ok: depot inspect DIR inspects every file of a known type in the folder"
