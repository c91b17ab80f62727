/* check.c — dp_check: recompute every count from what explains it and compare; check the
 * registry's own invariants. Owner thread, at a quiet moment. */
#include <string.h>

#include "asset/asset_internal.h"
#include "diag/graph.h"

/* True if no edge of r appears twice. seen[c] holds the stamp of the last parent that had
 * a kid at index c, so a repeat costs one scan of r's earlier kids only when an index
 * repeats: linear in the edges (was every pair of kids). */
static bool kids_unique(const dp__asset *r, uint32_t *seen, uint64_t n, uint32_t stamp)
{
    for (uint32_t k = 0; k < r->nkids; k++) {
        uint32_t c = dp_handle_index(dp__kids(r)[k]);
        if (c < n && seen[c] != stamp) {
            seen[c] = stamp;
            continue;
        }
        for (uint32_t m = 0; m < k; m++)
            if (dp__kids(r)[m].bits == dp__kids(r)[k].bits)
                return false;
    }
    return true;
}

/* The unused cache is a proper list of the `cached` cached assets, whose bytes add up. */
static bool lru_ok(const dp_depot *dp, size_t cached, size_t cached_bytes)
{
    size_t walked = 0, walked_bytes = 0;
    uint32_t prev = 0;
    for (uint32_t it = dp->lru_head; it;) {
        dp__asset *r = dp__rec_at(dp, it - 1);
        dp__ext *x = dp__ext_peek(dp, it - 1); /* its forward link */
        if (!(r->oflags & DP__OF_CACHED) || !x || r->lru_prev != prev || ++walked > cached)
            return false;
        /* Relaxed: bytes is written by the owner only, and this is the owner. */
        walked_bytes += atomic_load_explicit(&r->bytes, memory_order_relaxed);
        prev = it;
        it = x->lru_next;
    }
    return walked == cached && walked_bytes == cached_bytes &&
           cached_bytes == dp->cached_bytes && dp->lru_tail == prev;
}

dp_status dp_check(const dp_depot *dp)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__graph g;
    dp_status st = dp__graph_build(dp, &g);
    if (st != DP_OK)
        return st;
    uint32_t *seen = g.n ? dp__calloc(&dp->alloc, (size_t)g.n, sizeof *seen) : NULL;
    if (g.n && !seen) {
        dp__graph_free(dp, &g);
        return DP_ERR_NOMEM;
    }
    size_t keyed = 0, cached = 0, cached_bytes = 0, edges = 0, kept_bytes = 0;
    dp__view v;
    for (dp__live_iter it = dp__graph_walk(&g); st == DP_OK && dp__live_next(dp, &it, &v);) {
        uint32_t i = dp_handle_index(v.h), count = v.count;
        dp_handle h = v.h;
        dp__asset *r = v.rec;
        uint32_t explained = g.incoming[i] + g.grouped[i];
        edges += g.incoming[i];
        if (dp->desc.track_holders) {
            explained += dp__holders_total(dp, h);
            /* After a lost record (NOMEM) the records no longer explain every count. */
            if (count > explained && !dp->holders_lost)
                st = DP_ERR_OVERFLOW;
        }
        if (count < explained)
            st = DP_ERR_UNDERFLOW;
        /* Relaxed (state, kept, bytes): owner-written fields, read by the owner at a quiet
         * moment. */
        uint8_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
        if (s == DP_STATE_INVALID || s > DP_STATE_EVICTED)
            st = DP_ERR_INVALID;
        if (atomic_load_explicit(&r->kept, memory_order_relaxed))
            kept_bytes += atomic_load_explicit(&r->bytes, memory_order_relaxed);
        if (r->oflags & DP__OF_CACHED) {
            cached++;
            /* Relaxed: as the loads above (the owner reads what it writes). */
            cached_bytes += atomic_load_explicit(&r->bytes, memory_order_relaxed);
        }
        const char *key = dp__rec_key(r);
        if (key) {
            keyed++;
            if (!dp__key_maps(dp, key, h))
                st = DP_ERR_INVALID; /* the key must lead back to this asset */
        }
        if (!kids_unique(r, seen, g.n, (uint32_t)i + 1))
            st = DP_ERR_INVALID; /* edges are unique */
    }
    if (st == DP_OK && !lru_ok(dp, cached, cached_bytes))
        st = DP_ERR_INVALID;
    /* Relaxed: the edge counter changes on the owner only, and this is the owner. */
    if (st == DP_OK && edges != atomic_load_explicit(&dp->st_edges, memory_order_relaxed))
        st = DP_ERR_INVALID; /* dp_stats.edges counts the edges between live assets */
    if (st == DP_OK && kept_bytes != dp->kept_bytes)
        st = DP_ERR_INVALID; /* what the cache keeps beyond its own assets adds up */
    if (st == DP_OK && keyed != dp->keys_n)
        st = DP_ERR_INVALID; /* every entry of the key table names a live keyed asset */
    if (st == DP_OK)
        st = dp__resid_check(dp); /* soft counts, demoted and evicted assets */
    dp__free(&dp->alloc, seen);
    dp__graph_free(dp, &g);
    return st;
}
