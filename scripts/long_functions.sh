#!/usr/bin/env bash
# Lists every C function in src/ and tools/ longer than a limit (default 80 lines), as
# "file:line name length", longest first; exits 1 when there is any. The length counts from
# the first line of the definition to its closing brace. It relies on the project's layout
# (STYLE.md): a definition starts at column 0 and its body opens with "{" alone on a line
# and closes with "}" alone at column 0.
#   scripts/long_functions.sh [limit] [dir...]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-80}
shift || true
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(src tools)
out=$(find "${dirs[@]}" -name '*.c' -print0 | sort -z | xargs -0 awk -v limit="$limit" '
    FNR == 1 { start = 0; inside = 0 }
    # A line at column 0 that may start a definition: remember it (the signature may go on
    # over indented lines).
    !inside && /^[A-Za-z_]/ && !/^(typedef|struct|enum|union)[^(]*$/ { start = FNR; sig = $0 }
    !inside && /^\{[ \t]*$/ && start {
        inside = 1
        name = sig
        sub(/\(.*/, "", name)
        sub(/.*[ *]/, "", name)
        next
    }
    inside && /^\}/ {
        inside = 0
        len = FNR - start + 1
        if (len > limit)
            printf "%s:%d %s %d\n", FILENAME, start, name, len
        start = 0
    }
' | sort -k3,3nr)
if [ -n "$out" ]; then
    echo "$out"
    echo "$(echo "$out" | wc -l) function(s) over $limit lines" >&2
    exit 1
fi
echo "no function over $limit lines" >&2
