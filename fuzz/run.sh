#!/usr/bin/env bash
# fuzz/run.sh <builddir> [runs] — runs every fuzz target built in <builddir> for a fixed
# number of runs, starting from a copy of its committed seed corpus (the repository's corpus
# is never written to). Any crash, leak or sanitizer report fails the script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh <builddir> [runs]}"
runs="${2:-20000}"
status=0
for target in registry; do
    bin="$build/fuzz/fuzz_$target"
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin not built" >&2
        exit 1
    fi
    work="$(mktemp -d "${TMPDIR:-/tmp}/depot-fuzz-$target.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$here/corpus/$target/"* "$work/corpus/" 2>/dev/null || true
    echo "fuzz: $target, $runs runs from $(ls "$work/corpus" | wc -l) seeds"
    if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
         UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
         "$bin" -runs="$runs" -max_total_time=120 -max_len=512 -timeout=10 \
                -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/log"; then
        tail -n 60 "$work/log" >&2
        for a in "$work/artifacts/"*; do
            [ -e "$a" ] || continue
            keep="$build/fuzz/$(basename "$a")"
            cp "$a" "$keep"
            echo "fuzz: crashing input kept as $keep" >&2
        done
        status=1
    else
        grep -E "^(#[0-9]+ +DONE|Done)" "$work/log" | tail -n 1 || true
    fi
    rm -rf "$work"
    trap - EXIT
done
exit $status
