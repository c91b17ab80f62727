/* hvec.c — the registry's growable handle arrays (dp__hvec): the deep-state waiting list,
 * cycle candidates, the unused list and the scratch lists of the free cascade. Owner only. */
#include "asset/asset_internal.h"

dp_status dp__hvec_push(dp_depot *dp, dp__hvec *v, dp_handle h)
{
    if (v->n == v->cap) {
        dp_status st = dp__grow(&dp->alloc, (void **)&v->v, &v->cap, v->n + 1, sizeof *v->v);
        if (st != DP_OK)
            return st;
    }
    v->v[v->n++] = h;
    return DP_OK;
}

void dp__hvec_free(dp_depot *dp, dp__hvec *v)
{
    dp__free(&dp->alloc, v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}
