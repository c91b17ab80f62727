#!/usr/bin/env bash
# Lists every atomic operation with an order other than seq_cst (memory_order_relaxed,
# _consume, _acquire, _release, _acq_rel) in src/, tools/ and bench/ that has no comment
# saying why that order is enough (STYLE.md), as "file:line text", one line a statement;
# exits 1 when there is any. A statement counts as commented when
#  - a comment is on its own lines or ends on the line just above it, or
#  - it is in a paragraph (no blank line, no line ending in "{" or "}" between) headed by a
#    comment that speaks of ordering (relaxed, acquire, release, order, publish, pairs...):
#    one comment may cover a run of stores or loads that share one reason.
#   scripts/atomics_check.sh [dir...]
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(src tools bench)
out=$(find "${dirs[@]}" \( -name '*.c' -o -name '*.h' \) -print0 2>/dev/null | sort -z |
      xargs -0 awk '
    FNR == 1 { delete text; last = 0 }
    { text[FNR] = $0 }
    function commented(t) { return t ~ /\/\*|\*\/|\/\// }
    function stops(t) { return t ~ /^[ \t]*$/ || t ~ /[{}][ \t]*$/ || t ~ /^[A-Za-z_#]/ }
    # The comment that heads the paragraph above line s speaks of ordering.
    function heading_ok(s,    k, c) {
        for (k = s - 1; k >= 1 && !stops(text[k]); k--) {
            if (!commented(text[k]))
                continue
            c = ""
            for (; k >= 1; k--) {
                c = text[k] " " c
                if (text[k] ~ /\/\*|\/\//)
                    break
            }
            return tolower(c) ~ /relaxed|acquire|release|acq_rel|consume|order|publish|pairs|visible|happens|fence|snapshot|statistic/
        }
        return 0
    }
    /memory_order_(relaxed|consume|acquire|release|acq_rel)/ {
        # The statement starts after the last line that ends one (;, { or }), a blank line,
        # a preprocessor line or a comment.
        s = FNR
        while (s > 1 && text[s - 1] !~ /[;{}][ \t]*$/ && text[s - 1] !~ /^[ \t]*(#|$)/ &&
               !commented(text[s - 1]))
            s--
        if (s == last)
            next # another order of the same statement (a CAS)
        last = s
        ok = 0
        for (k = s; k <= FNR; k++)
            if (commented(text[k]))
                ok = 1
        if (!ok && s > 1 && text[s - 1] ~ /\*\/[ \t]*$|\/\//)
            ok = 1
        if (!ok && heading_ok(s))
            ok = 1
        if (!ok) {
            line = text[s]
            sub(/^[ \t]+/, "", line)
            printf "%s:%d %s\n", FILENAME, s, line
        }
    }
')
if [ -n "$out" ]; then
    echo "$out"
    echo "$(echo "$out" | wc -l) atomic statement(s) without a comment on their order" >&2
    exit 1
fi
echo "every non-seq_cst atomic statement has a comment" >&2
