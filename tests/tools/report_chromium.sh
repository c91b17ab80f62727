#!/usr/bin/env bash
# The HTML reports of `depot demo` and `depot inspect` render in a real browser: headless
# Chromium loads each report, its DOM holds the graph nodes, the chart's polylines and the
# tables, and a screenshot of it is a real picture.
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
check_dom "$tmp/inspect.html" inspect 'id="biggest"' 'id="shared"' 'class="node.* shared'
if command -v dot >/dev/null; then
    grep -q '<svg id="graph"' "$tmp/demo.dom" || fail "demo: Graphviz is installed but no <svg id=\"graph\">"
fi

for name in demo inspect; do
    chrome --screenshot="$tmp/$name.png" --window-size=1200,900 "file://$tmp/$name.html" >/dev/null ||
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
