#!/usr/bin/env bash
# fuzz/run.sh <builddir> [runs] [max_seconds] — runs every fuzz target built in <builddir>
# for a fixed number of runs, starting from a copy of its committed seed corpus (the
# repository's corpus is never written to). Any crash, leak or sanitizer report fails the
# script. There is no time limit unless max_seconds (or DP_FUZZ_MAX_SECONDS) is given and
# not 0; a target that reaches it before doing every run fails the script and says how many
# runs it did, so a run is never reported as done after a fraction of what was asked.
# The runs start from a fixed seed (DP_FUZZ_SEED, default 1), so CI mutates the same way each
# run rather than exploring anew (the registry target's coverage still varies a little:
# addresses feed its hashing); DP_FUZZ_SEED=0 lets libFuzzer pick one: explore by hand and
# commit what it finds as a seed, with its fix.
# -timeout is a hang guard for one input (60 s: an ASan build on a loaded machine), not a
# speed bound.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh <builddir> [runs] [max_seconds]}"
runs="${2:-20000}"
max_seconds="${3:-${DP_FUZZ_MAX_SECONDS:-0}}"
case "$runs$max_seconds" in
    *[!0-9]*) echo "fuzz: runs and max_seconds must be whole numbers" >&2; exit 2 ;;
esac
seed="${DP_FUZZ_SEED:-1}"
case "$seed" in
    ''|*[!0-9]*) echo "fuzz: DP_FUZZ_SEED must be a whole number" >&2; exit 2 ;;
esac
limit=""
[ "$max_seconds" -gt 0 ] && limit="-max_total_time=$max_seconds"
status=0
# The pack target is built only with libzstd and libxxhash (like the pack reader itself).
# A pack or KTX2 input runs in microseconds: five times the runs (about 10 s) go deeper;
# ktx2's inputs are whole files, so they may be longer; so are gltf's (JSON scenes).
for target in registry pack ktx2 gltf; do
    bin="$build/fuzz/fuzz_$target"
    if [ ! -x "$bin" ] && [ "$target" = pack ]; then
        echo "fuzz: $bin not built (no libzstd/libxxhash): skipped"
        continue
    fi
    if [ ! -x "$bin" ] && [ "$target" = gltf ]; then
        echo "fuzz: $bin not built (no cJSON): skipped"
        continue
    fi
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin not built" >&2
        exit 1
    fi
    # A pack input runs in microseconds: five times the runs (about 10 s) go deeper.
    n="$runs"
    maxlen=512
    [ "$target" = pack ] && n=$((runs * 5))
    [ "$target" = ktx2 ] && n=$((runs * 5)) && maxlen=2048
    # A glTF input is a JSON document: cJSON's parse costs more per run, and the seeds
    # (whole scenes) are up to 2 KiB.
    [ "$target" = gltf ] && n=$((runs * 2)) && maxlen=4096
    work="$(mktemp -d "${TMPDIR:-/tmp}/depot-fuzz-$target.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$here/corpus/$target/"* "$work/corpus/" 2>/dev/null || true
    echo "fuzz: $target, $n runs from $(ls "$work/corpus" | wc -l) seeds, seed $seed" \
         "${limit:+(at most $max_seconds s)}"
    if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
         UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
         "$bin" -runs="$n" $limit -max_len="$maxlen" -timeout=60 -seed="$seed" \
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
        # libFuzzer's last line says how many runs it did: "Done 12345 runs in 20 second(s)".
        done_line="$(grep -E '^Done [0-9]+ runs' "$work/log" | tail -n 1 || true)"
        did="$(echo "$done_line" | awk '{print $2}')"
        if [ -z "$did" ]; then
            tail -n 20 "$work/log" >&2
            echo "fuzz: $target: libFuzzer did not say how many runs it did" >&2
            status=1
        elif [ "$did" -lt "$n" ]; then
            echo "fuzz: $target STOPPED EARLY: $did of $n runs (time limit $max_seconds s)" >&2
            status=1
        else
            echo "fuzz: $target: $done_line"
        fi
    fi
    rm -rf "$work"
    trap - EXIT
done
exit $status
