/* hvec.c — the registry's growable handle arrays (dp__hvec): the deep-state waiting list,
 * cycle candidates, the unused list and the scratch lists of the free cascade. Owner only. */
#include <string.h>

#include "asset/asset_internal.h"

/* A list keeps this many entries' room however empty it gets (trim). */
#define HVEC_KEEP 1024u

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

/* Gives back room a burst left: a list over HVEC_KEEP entries of room and at most a quarter
 * full shrinks to twice its length (nothing when empty). Growing back costs one doubling
 * per factor 2, and the factor-2 gap between shrink and grow means a steady length never
 * shrinks and grows in turn. Without memory for the smaller copy the list stays as it is. */
static void trim(dp_depot *dp, dp__hvec *v)
{
    if (v->cap <= HVEC_KEEP || v->n > v->cap / 4)
        return;
    if (!v->n) {
        dp__hvec_free(dp, v);
        return;
    }
    size_t ncap = v->n * 2;
    dp_handle *nv = dp__alloc(&dp->alloc, ncap * sizeof *nv);
    if (!nv)
        return;
    memcpy(nv, v->v, v->n * sizeof *nv);
    dp__free(&dp->alloc, v->v);
    v->v = nv;
    v->cap = ncap;
}

#define NLISTS 8

/* The depot's handle lists, for trim and for the byte count. */
static void lists_of(dp_depot *dp, dp__hvec *out[NLISTS])
{
    dp__hvec *all[NLISTS] = {&dp->waiting, &dp->deep_seeds, &dp->cands,   &dp->work,
                             &dp->work2,   &dp->unused,     &dp->zombies, &dp->kept_work};
    memcpy(out, all, sizeof all);
}

void dp__lists_trim(dp_depot *dp)
{
    dp->work2.n = 0; /* the deep pass's set (deep.c): refilled by every pass, dead between */
    dp__hvec *v[NLISTS];
    lists_of(dp, v);
    for (size_t i = 0; i < NLISTS; i++)
        trim(dp, v[i]);
}

size_t dp__lists_bytes(const dp_depot *dp)
{
    dp__hvec *v[NLISTS];
    lists_of((dp_depot *)dp, v); /* only read here */
    size_t bytes = 0;
    for (size_t i = 0; i < NLISTS; i++)
        bytes += v[i]->cap * sizeof(dp_handle);
    return bytes + dp__cycles_bytes(dp);
}
