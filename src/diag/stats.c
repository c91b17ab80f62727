/* stats.c — counters of a depot, read from any thread by scanning slot words and atomic
 * record fields (chunks never move, so the scan is safe while others work). */
#include <string.h>

#include "asset/asset_internal.h"

/* The record of slot i if it holds a live, non-dying asset; its count in *count. */
static dp__asset *scan_rec(const dp_depot *dp, uint32_t i, uint32_t *count)
{
    return dp__live_at(dp, i, count).bits ? dp__rec_at(dp, i) : NULL;
}

dp_status dp_get_stats(const dp_depot *dp, dp_stats *out)
{
    if (!dp || !out)
        return DP_ERR_INVALID;
    memset(out, 0, sizeof *out);
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    for (uint64_t i = 0; i < ps.high_water; i++) {
        uint32_t count;
        dp__asset *r = scan_rec(dp, (uint32_t)i, &count);
        if (!r)
            continue;
        uint8_t s = atomic_load_explicit(&r->state, memory_order_relaxed);
        if (s < 5)
            out->assets_by_state[s]++;
        out->live_assets++;
        size_t b = atomic_load_explicit(&r->bytes, memory_order_relaxed);
        if (count == 0) {
            out->unused_assets++;
        } else {
            out->held_bytes += b;
        }
    }
    /* What the unused cache keeps alive: its assets and the dependencies only they hold. */
    out->unused_cached_bytes = atomic_load_explicit(&dp->cached_bytes, memory_order_relaxed) +
                               atomic_load_explicit(&dp->kept_bytes, memory_order_relaxed);
    out->retired_slots = (size_t)ps.retired;
    void *loader = dp__attached_loader(dp);
    if (loader && dp->loader_vt.pending)
        out->pending_jobs = dp->loader_vt.pending(loader);
    out->events_dropped = atomic_load_explicit(&dp->st_events_dropped, memory_order_relaxed);
    out->edges = atomic_load_explicit(&dp->st_edges, memory_order_relaxed);
    dp_pool_stats gs;
    dp_pool_get_stats(dp->groups, &gs);
    out->groups = (size_t)gs.live;
    out->freed_total = atomic_load_explicit(&dp->st_freed, memory_order_relaxed);
    out->cycles_collected = atomic_load_explicit(&dp->st_cycles, memory_order_relaxed);
    out->results_discarded = atomic_load_explicit(&dp->st_discarded, memory_order_relaxed);
    return DP_OK;
}

dp_status dp_type_stats(const dp_depot *dp, dp_type_id type, size_t *count, size_t *bytes)
{
    if (count)
        *count = 0;
    if (bytes)
        *bytes = 0;
    if (!dp || !dp__type_get(dp, type))
        return DP_ERR_INVALID;
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    size_t n = 0, b = 0;
    for (uint64_t i = 0; i < ps.high_water; i++) {
        uint32_t c;
        dp__asset *r = scan_rec(dp, (uint32_t)i, &c);
        if (!r || atomic_load_explicit(&r->type, memory_order_relaxed) != type)
            continue;
        n++;
        b += atomic_load_explicit(&r->bytes, memory_order_relaxed);
    }
    if (count)
        *count = n;
    if (bytes)
        *bytes = b;
    return DP_OK;
}
