#!/usr/bin/env bash
# run.sh — model-checks verify/pool.pml with SPIN, twice:
#   1. the model as written (with the ABA tag) must verify with "errors: 0";
#   2. the -DNOTAG variant (head compared without the tag) must FAIL with an assertion
#      violation, which proves the model can catch the ABA bug the tag prevents.
# Usage: bash verify/run.sh [verify-dir]. Works in a temp dir, removes its pan files.
set -euo pipefail
dir=$(cd "${1:-$(dirname "$0")}" && pwd)
command -v spin >/dev/null || { echo "run.sh: spin not installed (apt-get install spin)"; exit 1; }
cc=${CC:-gcc}
tmp=$(mktemp -d /tmp/depot-spin-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$dir/pool.pml" "$tmp/"
cd "$tmp"

check() { # name, spin defines...
    local name=$1; shift
    rm -f pan pan.* ./*.trail
    spin "$@" -a pool.pml >spin.log 2>&1 || { cat spin.log; echo "run.sh: spin -a failed ($name)"; exit 1; }
    "$cc" -O2 -DSAFETY -o pan pan.c 2>cc.log || { cat cc.log; echo "run.sh: pan build failed ($name)"; exit 1; }
    timeout 60 ./pan -m100000 >"$name.out" 2>&1 || true
}

check tagged
if ! grep -q "errors: 0" tagged.out; then
    cat tagged.out
    echo "FAIL pool.pml (with ABA tag): spin found an error"
    exit 1
fi
states=$(grep -Eo '[0-9.e+]+ states, stored' tagged.out | head -1)
echo "ok   pool.pml with ABA tag: no slot held twice, no slot lost (errors: 0; $states)"

check notag -DNOTAG
if ! grep -q "assertion violated" notag.out; then
    cat notag.out
    echo "FAIL pool.pml -DNOTAG: spin found no error, so the model cannot catch the ABA bug"
    exit 1
fi
viol=$(grep -m1 "assertion violated" notag.out | sed 's/^pan:[0-9]*: *//')
echo "ok   pool.pml -DNOTAG: spin finds the ABA bug as required ($viol)"
