/* leaks.c — the leak report: every asset held by a caller or a group (its count is more
 * than its incoming edges explain), who holds it, and everything it keeps alive with the
 * chain of edges that does. Owner thread. */
#include <stdio.h>

#include "diag/graph.h"

#define MAX_HOLDERS 16

static const char *state_name(uint8_t s)
{
    static const char *names[] = {"INVALID", "PENDING", "LOADING", "LOADED", "FAILED",
                                  "EVICTED"};
    return s < 6 ? names[s] : "?";
}

/* References not explained by edges or groups: the callers' own. */
static uint32_t callers(uint32_t count, uint32_t edges, uint32_t groups)
{
    uint32_t explained = edges + groups;
    return count > explained ? count - explained : 0;
}

/* One held asset: its line (count split by edges, groups and callers) and who holds it. */
static void print_held(const dp_depot *dp, const dp__graph *g, const dp__view *v, FILE *out)
{
    uint32_t i = dp_handle_index(v->h), count = v->count;
    char buf[32];
    const char *tn = dp_type_name(dp, v->type);
    fprintf(out, "  %s (%s, %s, %zu bytes, count %u: %u by edges, %u by groups, %u by callers",
            dp__graph_name(dp, v->h, buf, sizeof buf), tn ? tn : "?", state_name(v->state),
            v->bytes, count, g->incoming[i], g->grouped[i],
            callers(count, g->incoming[i], g->grouped[i]));
    if (v->soft) /* soft references are among the groups' and callers' counts */
        fprintf(out, "; %u of them soft", v->soft);
    fprintf(out, ")\n");
    if (dp__depot_desc(dp)->track_holders) {
        dp_holder hs[MAX_HOLDERS];
        size_t nh = dp__holders_copy(dp, v->h, hs, MAX_HOLDERS);
        for (size_t k = 0; k < nh && k < MAX_HOLDERS; k++)
            fprintf(out, "    held %sat %s:%d (x%u)\n", hs[k].soft ? "softly " : "",
                    hs[k].file, hs[k].line, hs[k].count);
        if (nh > MAX_HOLDERS)
            fprintf(out, "    ... and %zu more call sites\n", nh - MAX_HOLDERS);
    } else if (count > g->incoming[i] + g->grouped[i]) {
        fprintf(out, "    (set dp_desc.track_holders to see the call sites)\n");
    }
}

/* Breadth-first from the held roots queue[0..qn): the first path found to each kept asset
 * (via[i] = parent + 1). Returns the new queue length. */
static size_t spread_kept(const dp_depot *dp, const dp__graph *g, uint32_t *via,
                          uint32_t *queue, size_t qn)
{
    dp__view v;
    for (size_t q = 0; q < qn; q++) {
        if (!dp__view_of(dp, dp__live_at(dp, queue[q], NULL), &v))
            continue;
        for (uint32_t k = 0; k < v.nkids; k++) {
            dp_handle c = v.kids[k];
            uint32_t ci = dp_handle_index(c);
            if (ci < g->n && dp__alive(dp, c) && !via[ci]) {
                via[ci] = queue[q] + 1;
                queue[qn++] = ci;
            }
        }
    }
    return qn;
}

/* Each kept asset with the chain of edges back to the held root that keeps it. */
static void print_kept(const dp_depot *dp, const dp__graph *g, const uint32_t *via,
                       const uint32_t *queue, size_t qn, FILE *out)
{
    size_t kept = 0;
    for (size_t q = 0; q < qn; q++) {
        uint32_t i = queue[q];
        if (via[i] == i + 1)
            continue; /* a held root itself */
        if (!kept++)
            fprintf(out, "depot: kept alive by them:\n");
        char buf[32];
        fprintf(out, "  %s", dp__graph_name(dp, dp__live_at(dp, i, NULL), buf, sizeof buf));
        for (uint32_t p = via[i] - 1, hops = 0;; p = via[p] - 1, hops++) {
            fprintf(out, " <- %s", dp__graph_name(dp, dp__live_at(dp, p, NULL), buf, sizeof buf));
            if (via[p] == p + 1 || hops > g->n) {
                fprintf(out, " (held)\n");
                break;
            }
        }
    }
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
    const dp_allocator *a = dp__depot_alloc(dp);
    uint32_t *via = g.n ? dp__calloc(a, (size_t)g.n, sizeof *via) : NULL; /* parent+1 */
    uint32_t *queue = g.n ? dp__alloc(a, (size_t)g.n * sizeof *queue) : NULL;
    size_t qn = 0;
    dp__view v;
    for (dp__live_iter it = dp__graph_walk(&g); dp__live_next(dp, &it, &v);) {
        uint32_t i = dp_handle_index(v.h);
        if (v.count <= g.incoming[i])
            continue;
        if (!held)
            fprintf(out, "depot: assets still held:\n");
        held++;
        print_held(dp, &g, &v, out);
        if (queue && via && !via[i]) {
            via[i] = (uint32_t)i + 1; /* a root points at itself */
            queue[qn++] = (uint32_t)i;
        }
    }
    if (queue && via) {
        qn = spread_kept(dp, &g, via, queue, qn);
        print_kept(dp, &g, via, queue, qn, out);
    }
    if (!held)
        fprintf(out, "depot: no assets held\n");
    dp__free(a, via);
    dp__free(a, queue);
    dp__graph_free(dp, &g);
    return held;
}
