/* stats.c — counters of a depot, read from any thread by walking the live slots and reading
 * each asset's view (chunks never move, so the walk is safe while others work). */
#include <string.h>

#include "asset/registry.h"

dp_status dp_get_stats(const dp_depot *dp, dp_stats *out)
{
    if (!dp || !out)
        return DP_ERR_INVALID;
    memset(out, 0, sizeof *out);
    dp__view v;
    for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);) {
        if ((unsigned)v.state <= DP_STATE_EVICTED)
            out->assets_by_state[v.state]++;
        out->live_assets++;
        if (v.count == 0) {
            out->unused_assets++;
        } else {
            out->held_bytes += v.bytes;
        }
        out->soft_refs += v.soft;
        if (v.soft && v.soft >= v.count) { /* held by soft references only */
            out->soft_assets++;
            out->soft_bytes += v.bytes;
        }
    }
    dp__counters(dp, out);
    return DP_OK;
}

dp_status dp_type_stats(const dp_depot *dp, dp_type_id type, size_t *count, size_t *bytes)
{
    if (count)
        *count = 0;
    if (bytes)
        *bytes = 0;
    if (!dp || !dp__type_info(dp, type))
        return DP_ERR_INVALID;
    size_t n = 0, b = 0;
    dp__view v;
    for (dp__live_iter it = dp__live_begin(dp); dp__live_next(dp, &it, &v);) {
        if (v.type != type)
            continue;
        n++;
        b += v.bytes;
    }
    if (count)
        *count = n;
    if (bytes)
        *bytes = b;
    return DP_OK;
}
