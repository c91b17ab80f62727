#!/usr/bin/env bash
# Lists every #include that breaks the layering (docs/architecture.md): lower layers never
# include higher ones (pool <- asset <- load <- render, diag beside asset), and the layers
# above the registry (load, render, diag but its consistency check, bench, tools) include
# nothing from src/asset but registry.h. Prints file:line include; exits 1 if any.
# Usage: scripts/layers_check.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

bad=$(
    {
        grep -Hn '#include "\(asset\|load\|render\|diag\)/' src/pool/*.[ch] || true
        grep -Hn '#include "\(load\|render\|diag\)/' src/asset/*.[ch] || true
        grep -rHn '#include "render/' src/load src/diag || true
        grep -rHn '#include "asset/' src/load src/render src/diag bench tools |
            grep -v '#include "asset/registry.h"' | grep -v '^src/diag/check.c:' || true
    } | sort
)
if [ -n "$bad" ]; then
    echo "$bad"
    echo "$(echo "$bad" | wc -l) include(s) across the layers' rule"
    exit 1
fi
echo "every include keeps the layers' rule"
