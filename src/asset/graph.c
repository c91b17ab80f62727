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
    if (dp_handle_index(m) < gr->n && dp__live_at(dp, dp_handle_index(m), NULL).bits == m.bits)
        gr->grouped[dp_handle_index(m)]++;
}

dp_status dp__graph_build(const dp_depot *dp, dp__graph *g)
{
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    g->n = ps.high_water;
    g->incoming = g->grouped = NULL;
    if (!g->n)
        return DP_OK;
    g->incoming = dp__calloc(&dp->alloc, (size_t)g->n, sizeof *g->incoming);
    g->grouped = dp__calloc(&dp->alloc, (size_t)g->n, sizeof *g->grouped);
    if (!g->incoming || !g->grouped) {
        dp__graph_free(dp, g);
        return DP_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < g->n; i++) {
        if (!dp__live_at(dp, (uint32_t)i, NULL).bits)
            continue;
        dp__asset *r = dp__rec_at(dp, (uint32_t)i);
        for (uint32_t k = 0; k < r->nkids; k++) {
            dp_handle c = r->kids[k];
            uint32_t ci = dp_handle_index(c);
            if (ci < g->n && dp__live_at(dp, ci, NULL).bits == c.bits)
                g->incoming[ci]++;
        }
    }
    const void *ctx[2] = {dp, g};
    dp__groups_each(dp, count_member, (void *)ctx);
    return DP_OK;
}

void dp__graph_free(const dp_depot *dp, dp__graph *g)
{
    dp__free(&dp->alloc, g->incoming);
    dp__free(&dp->alloc, g->grouped);
    g->incoming = g->grouped = NULL;
}
