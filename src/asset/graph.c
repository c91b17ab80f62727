/* graph.c — a walk of the registry that explains counts: per live asset, the edges and
 * group memberships that hold it. Used by dp_destroy (what is still held) and by the
 * diagnostics (check, dot, leak report). Owner thread. */
#include "asset/asset_internal.h"

static void count_member(void *u, dp_group g, const char *name, dp_handle m)
{
    (void)g;
    (void)name;
    void **ctx = u;
    const dp_depot *dp = ctx[0];
    dp__graph *gr = ctx[1];
    if (dp_handle_index(m) < gr->n && dp__alive(dp, m))
        gr->grouped[dp_handle_index(m)]++;
}

dp_status dp__graph_build(const dp_depot *dp, dp__graph *g)
{
    dp__live_iter it = dp__live_begin(dp);
    g->n = it.end;
    g->incoming = g->grouped = NULL;
    if (!g->n)
        return DP_OK;
    g->incoming = dp__calloc(&dp->alloc, (size_t)g->n, sizeof *g->incoming);
    g->grouped = dp__calloc(&dp->alloc, (size_t)g->n, sizeof *g->grouped);
    if (!g->incoming || !g->grouped) {
        dp__graph_free(dp, g);
        return DP_ERR_NOMEM;
    }
    dp__view v;
    while (dp__live_next(dp, &it, &v)) {
        for (uint32_t k = 0; k < v.nkids; k++) {
            dp_handle c = v.kids[k];
            if (dp_handle_index(c) < g->n && dp__alive(dp, c))
                g->incoming[dp_handle_index(c)]++;
        }
    }
    const void *ctx[2] = {dp, g};
    dp__groups_each(dp, count_member, (void *)ctx);
    return DP_OK;
}

dp__live_iter dp__graph_walk(const dp__graph *g)
{
    return (dp__live_iter){.next = 0, .end = g->n, .dying = false};
}

void dp__graph_free(const dp_depot *dp, dp__graph *g)
{
    dp__free(&dp->alloc, g->incoming);
    dp__free(&dp->alloc, g->grouped);
    g->incoming = g->grouped = NULL;
}
