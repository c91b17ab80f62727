/* memory.c — where a depot's bytes are: what it holds from its allocator, part by part, for
 * the memory benchmark (bench_asset.c's bytes lines) and for anyone asking why a depot is
 * as big as it is. Every part is counted at its capacity (spare room included), as the
 * allocator sees it. */
#include <string.h>

#include "asset/asset_internal.h"

/* Bytes of an edge array holding n edges (dp__kids_cap), 0 when none is allocated. */
static size_t edge_bytes(uint32_t n)
{
    return (size_t)dp__kids_cap(n) * sizeof(dp_handle);
}

void dp__mem_parts(const dp_depot *dp, dp__mem *out)
{
    memset(out, 0, sizeof *out);
    dp_pool_stats ps;
    dp_pool_get_stats(dp->pool, &ps);
    out->slots = (size_t)ps.bytes;
    out->record = sizeof(dp__asset);
    out->slot_capacity = (size_t)ps.capacity;
    out->key_table = dp__keys_bytes(dp);
    out->events = (dp->ev_capcur + dp->ev_cappub) * sizeof(dp_event);
    out->lists = dp__lists_bytes(dp);
    out->ext = dp->ext_bytes;
    dp__view v;
    for (dp__live_iter it = dp__any_begin(dp); dp__live_next(dp, &it, &v);) {
        if (v.key)
            out->key_strings += strlen(v.key) + 1;
        out->edges += edge_bytes(v.nkids);
    }
}
