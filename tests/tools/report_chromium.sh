#!/usr/bin/env bash
# The HTML reports of `depot demo` and `depot inspect` render in a real browser: headless
# Chromium loads each report, its DOM holds the graph nodes, the chart's polylines and the
# tables, and a screenshot of it is a real picture. The inspect page, on the demo's assets
# and on a generated 5,000-asset tree (make_tree.py), runs its own #selfcheck: one treemap
# rectangle per top folder, a drill-down, a table filtered to one key leaves one row,
# selecting assets draws their neighbourhoods, and no resource was requested. Prints the
# page's size and its render time (measured, not a threshold).
# Usage: report_chromium.sh DEPOT_BINARY SOURCE_DIR     (exit 77 = skipped: no chromium)
set -euo pipefail

depot=${1:?usage: report_chromium.sh DEPOT_BINARY SOURCE_DIR}
src=${2:?usage: report_chromium.sh DEPOT_BINARY SOURCE_DIR}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "SKIP: chromium is not installed (apt-get install --no-install-recommends chromium)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

chrome() { # chrome OUTPUT_FLAG... -- FILE
    local profile
    profile=$(mktemp -d "$tmp/profile.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-quic --hide-scrollbars --user-data-dir="$profile" "$@" 2>>"$tmp/chromium.log"
}

cd "$src"
"$depot" demo --frames 30 --report "$tmp/demo.html" >"$tmp/demo.log" 2>&1 ||
    { cat "$tmp/demo.log"; fail "depot demo exited with $?"; }
grep -q "clean" "$tmp/demo.log" || { cat "$tmp/demo.log"; fail "demo: no clean leak check"; }
"$depot" inspect examples/assets/scene1.bundle examples/assets/scene2.bundle \
    examples/assets/scene3.bundle --html "$tmp/inspect.html" >"$tmp/inspect.log" 2>&1 ||
    { cat "$tmp/inspect.log"; fail "depot inspect exited with $?"; }

check_dom() { # check_dom HTML NAME PATTERN...
    local html=$1 name=$2
    shift 2
    chrome --dump-dom "file://$html" >"$tmp/$name.dom" || fail "$name: chromium --dump-dom failed"
    for pattern in "$@"; do
        grep -q -- "$pattern" "$tmp/$name.dom" || fail "$name: the rendered DOM has no $pattern"
    done
    local nodes
    nodes=$(grep -o 'class="node[ "]' "$tmp/$name.dom" | wc -l)
    [ "$nodes" -ge 10 ] || fail "$name: only $nodes graph nodes in the DOM"
    echo "ok: $name report renders ($nodes graph nodes)"
}
check_dom "$tmp/demo.html" demo 'id="chart"' '<polyline class="series held"' \
    '<polyline class="series assets"' 'id="scenes"' 'class="node.* shared'

check_inspect() { # check_inspect HTML NAME TOP_FOLDERS
    local html=$1 name=$2 folders=$3 dom="$tmp/$2.dom"
    if grep -Eq 'https?://' "$html"; then
        grep -Eo 'https?://[^" ]*' "$html" | head -3
        fail "$name: the page names URLs"
    fi
    chrome --dump-dom "file://$html#selfcheck" >"$dom" || fail "$name: chromium --dump-dom failed"
    awk '/<pre id="selfcheck">/ { on = 1 } on { print } on && /<\/pre>/ { exit }' "$dom" |
        sed 's/<[^>]*>//g' >"$tmp/$name.check"
    check() { grep -Eq -- "$1" "$tmp/$name.check" || { cat "$tmp/$name.check"; fail "$name: $2"; }; }
    check "^folders_expected=$folders\$" "the page counts other top folders than $folders"
    check "^folders_drawn=$folders\$" "the treemap does not draw one rectangle per folder"
    check "^drilled_into=[^ ]+ rects=[1-9]" "a click on a folder did not drill down"
    check "^types_drawn=$(sed -n 's/^types_expected=//p' "$tmp/$name.check")\$" \
        "the treemap by type does not draw one rectangle per type"
    check "^drilled_type=[^ ]+ rects=[1-9]" "a click on a type did not drill down"
    check "^filter_rows=1 key=" "filtering the table to one key does not leave one row"
    check "^selected=[^ ]+ nb_nodes=[2-9]" "selecting an asset drew no neighbourhood"
    check "^selected=[^ ]+ nb_nodes=[0-9]+ nb_edges=[1-9]" "the busiest asset's neighbourhood has no edges"
    [ "$(grep -c '^selected=' "$tmp/$name.check")" = 2 ] &&
        [ "$(grep '^selected=' "$tmp/$name.check" | cut -d' ' -f1 | sort -u | wc -l)" = 2 ] ||
        fail "$name: selecting a second asset did not redraw the neighbourhood"
    check "^resources=0\$" "the page requested resources"
    grep -q '<rect class="tm folder' "$dom" || fail "$name: no treemap in the rendered DOM"
    echo "ok: $name page $(stat -c %s "$html") bytes, rendered in" \
        "$(sed -n 's/^render_ms=//p' "$tmp/$name.check") ms, self-check passed"
}
check_inspect "$tmp/inspect.html" inspect 2
python3 "$src/tests/tools/make_tree.py" "$tmp/tree" || fail "make_tree.py failed"
rc=0 # 1: it found the missing image
(cd "$tmp/tree" && "$depot" inspect lvl0.bundle lvl1.bundle lvl2.bundle lvl3.bundle \
    --html "$tmp/tree.html" --json "$tmp/tree.json" >"$tmp/tree.log" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || { tail "$tmp/tree.log"; fail "depot inspect of the tree exited with $rc"; }
grep -q '"assets":5000,' "$tmp/tree.json" || fail "tree: the JSON does not count 5000 assets"
grep -q 'missing.png.*"failure":"' "$tmp/tree.json" || fail "tree: no failure for missing.png"
grep -q '"duplicates":\[{"waste":' "$tmp/tree.json" || fail "tree: no duplicates found"
check_inspect "$tmp/tree.html" tree 5
grep -q '^sorted_first=common/c0000.png$' "$tmp/tree.check" ||
    fail "tree: sorting the table by key does not put common/c0000.png first"

rc=0 # 1: a missing file, a corrupt PNG and a cycle
"$depot" inspect examples/assets/broken/level.bundle --root examples/assets \
    --html "$tmp/broken.html" >"$tmp/broken.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/broken.log"; fail "inspect of broken/ exited with $rc"; }
chrome --dump-dom "file://$tmp/broken.html" >"$tmp/broken.dom" || fail "broken: --dump-dom failed"
grep -q 'DP_ERR_FORMAT: libpng: [^<]*</td><td><code>broken/level.bundle' "$tmp/broken.dom" ||
    fail "broken: the corrupt PNG is not listed as failed, with libpng's message and who needs it"
grep -q '<ul id="cycle-list"><li><code>broken/loop_' "$tmp/broken.dom" ||
    fail "broken: the cycle is not listed"
echo "ok: broken page lists the failures and the cycle"

if command -v dot >/dev/null; then
    grep -q '<svg id="graph"' "$tmp/demo.dom" || fail "demo: Graphviz is installed but no <svg id=\"graph\">"
fi

for name in demo inspect tree; do
    chrome --screenshot="$tmp/$name.png" --window-size=1280,2400 "file://$tmp/$name.html" >/dev/null ||
        fail "$name: chromium --screenshot failed"
    [ -f "$tmp/$name.png" ] || fail "$name: no screenshot written"
    size=$(stat -c %s "$tmp/$name.png")
    [ "$size" -gt 20000 ] || fail "$name: the screenshot is only $size bytes"
    head -c 8 "$tmp/$name.png" | od -An -tx1 | grep -q "89 50 4e 47" || fail "$name: not a PNG"
    echo "ok: $name screenshot, $size bytes"
    if [ -n "${DEPOT_KEEP_SHOTS:-}" ]; then
        cp "$tmp/$name.png" "$tmp/$name.html" "$DEPOT_KEEP_SHOTS/"
    fi
done
