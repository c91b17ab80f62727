/* leaks.c — the leak report: every asset held by a caller or a group (its count is more
 * than its incoming edges explain), who holds it, and everything it keeps alive with the
 * chain of edges that does. Owner thread. */
#include <stdio.h>

#include "diag/graph.h"

#define MAX_HOLDERS 16

static const char *state_name(uint8_t s)
{
    static const char *names[] = {"INVALID", "PENDING", "LOADING", "LOADED", "FAILED"};
    return s < 5 ? names[s] : "?";
}

/* References not explained by edges or groups: the callers' own. */
static uint32_t callers(uint32_t count, uint32_t edges, uint32_t groups)
{
    uint32_t explained = edges + groups;
    return count > explained ? count - explained : 0;
}

size_t dp_report_leaks(const dp_depot *dp, FILE *out)
{
    if (!dp || !out || !dp__is_owner(dp))
        return 0;
    dp__graph g;
    if (dp__graph_build(dp, &g) != DP_OK) {
        fprintf(out, "depot: leak report: out of memory\n");
        return 0;
    }
    size_t held = 0;
    uint32_t *via = g.n ? dp__calloc(&dp->alloc, (size_t)g.n, sizeof *via) : NULL; /* parent+1 */
    uint32_t *queue = g.n ? dp__alloc(&dp->alloc, (size_t)g.n * sizeof *queue) : NULL;
    size_t qn = 0;
    for (uint64_t i = 0; i < g.n; i++) {
        uint32_t count;
        dp_handle h = dp__live_at(dp, (uint32_t)i, &count);
        if (!h.bits || count <= g.incoming[i])
            continue;
        if (!held)
            fprintf(out, "depot: assets still held:\n");
        held++;
        dp__asset *r = dp__rec_at(dp, (uint32_t)i);
        char buf[32];
        const char *tn = dp_type_name(dp, atomic_load_explicit(&r->type, memory_order_relaxed));
        fprintf(out, "  %s (%s, %s, %zu bytes, count %u: %u by edges, %u by groups, %u by callers)\n",
                dp__graph_name(dp, h, buf, sizeof buf), tn ? tn : "?",
                state_name(atomic_load_explicit(&r->state, memory_order_relaxed)),
                atomic_load_explicit(&r->bytes, memory_order_relaxed), count, g.incoming[i],
                g.grouped[i], callers(count, g.incoming[i], g.grouped[i]));
        if (dp->desc.track_holders) {
            dp_holder hs[MAX_HOLDERS];
            size_t nh = dp__holders_copy(dp, h, hs, MAX_HOLDERS);
            for (size_t k = 0; k < nh && k < MAX_HOLDERS; k++)
                fprintf(out, "    held at %s:%d (x%u)\n", hs[k].file, hs[k].line, hs[k].count);
            if (nh > MAX_HOLDERS)
                fprintf(out, "    ... and %zu more call sites\n", nh - MAX_HOLDERS);
        } else if (count > g.incoming[i] + g.grouped[i]) {
            fprintf(out, "    (set dp_desc.track_holders to see the call sites)\n");
        }
        if (queue && via && !via[i]) {
            via[i] = (uint32_t)i + 1; /* a root points at itself */
            queue[qn++] = (uint32_t)i;
        }
    }
    /* Breadth-first from the held roots: the first path found to each kept asset. */
    for (size_t q = 0; queue && via && q < qn; q++) {
        dp__asset *r = dp__rec_at(dp, queue[q]);
        for (uint32_t k = 0; k < r->nkids; k++) {
            dp_handle c = r->kids[k];
            uint32_t ci = dp_handle_index(c);
            if (ci < g.n && dp__live_at(dp, ci, NULL).bits == c.bits && !via[ci]) {
                via[ci] = queue[q] + 1;
                queue[qn++] = ci;
            }
        }
    }
    size_t kept = 0;
    for (size_t q = 0; queue && via && q < qn; q++) {
        uint32_t i = queue[q];
        if (via[i] == i + 1)
            continue; /* a held root itself */
        if (!kept++)
            fprintf(out, "depot: kept alive by them:\n");
        char buf[32];
        fprintf(out, "  %s", dp__graph_name(dp, dp__live_at(dp, i, NULL), buf, sizeof buf));
        for (uint32_t p = via[i] - 1, hops = 0;; p = via[p] - 1, hops++) {
            fprintf(out, " <- %s", dp__graph_name(dp, dp__live_at(dp, p, NULL), buf, sizeof buf));
            if (via[p] == p + 1 || hops > g.n) {
                fprintf(out, " (held)\n");
                break;
            }
        }
    }
    if (!held)
        fprintf(out, "depot: no assets held\n");
    dp__free(&dp->alloc, via);
    dp__free(&dp->alloc, queue);
    dp__graph_free(dp, &g);
    return held;
}
