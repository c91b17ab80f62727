/* ext.c — extension records: the per-asset fields few assets use (dp__ext: the soft count
 * and use clock of soft-held assets, the chain of completion requests, the unused cache's
 * forward link), kept beside the pool instead of in every dp__asset record.
 *
 * They are indexed by slot index in pages of DP__EXT_PAGE entries, made by the owner when
 * an asset first needs one and kept until dp_destroy, so an entry never moves or goes away:
 * any thread may look one up without a lock (two acquire loads). A depot that uses none of
 * these features pays 24 null pointers; one that does pays a page per 128 neighbouring
 * slots where any asset uses one. The directory of pages follows the pool's doubling
 * geometry (chunk k covers 512 << k slots), so it never grows or moves either. */
#include <string.h>

#include "asset/asset_internal.h"

/* Chunk k's number of pages. */
static size_t pages_in(uint32_t k)
{
    return ((size_t)DP__EXT_FIRST << k) / DP__EXT_PAGE;
}

dp__ext *dp__ext_make(dp_depot *dp, uint32_t index)
{
    dp__ext *x = dp__ext_peek(dp, index);
    if (x)
        return x;
    uint32_t k, off;
    dp__ext_locate(index, &k, &off);
    /* Relaxed: only the owner writes the directories, and this is the owner. */
    _Atomic(dp__ext *) *dir = atomic_load_explicit(&dp->ext[k], memory_order_relaxed);
    if (!dir) {
        dir = dp__calloc(&dp->alloc, pages_in(k), sizeof *dir);
        if (!dir)
            return NULL;
        dp->ext_bytes += pages_in(k) * sizeof *dir;
        /* Release: the zeroed directory is visible before anyone who finds it reads it. */
        atomic_store_explicit(&dp->ext[k], dir, memory_order_release);
    }
    dp__ext *page = dp__calloc(&dp->alloc, DP__EXT_PAGE, sizeof *page);
    if (!page)
        return NULL; /* the directory stays: it is found again next time */
    dp->ext_bytes += DP__EXT_PAGE * sizeof *page;
    /* Release: the zeroed page is visible before anyone who finds it reads it. */
    atomic_store_explicit(&dir[off / DP__EXT_PAGE], page, memory_order_release);
    return &page[off % DP__EXT_PAGE];
}

void dp__ext_reset(dp_depot *dp, uint32_t index)
{
    dp__ext *x = dp__ext_peek(dp, index);
    if (!x)
        return;
    /* Relaxed: published with the rest of the new record by the slot word's release store;
     * a late reader of the slot's previous asset is caught by the word. */
    atomic_store_explicit(&x->soft, 0, memory_order_relaxed);
    atomic_store_explicit(&x->used, 0, memory_order_relaxed);
    x->done_head = 0;
    x->lru_next = 0;
}

void dp__ext_free(dp_depot *dp)
{
    for (uint32_t k = 0; k < DP__EXT_CHUNKS; k++) {
        /* Relaxed: dp_destroy, no other thread uses the depot any more. */
        _Atomic(dp__ext *) *dir = atomic_load_explicit(&dp->ext[k], memory_order_relaxed);
        if (!dir)
            continue;
        for (size_t p = 0; p < pages_in(k); p++)
            dp__free(&dp->alloc, atomic_load_explicit(&dir[p], memory_order_relaxed));
        dp__free(&dp->alloc, dir);
        atomic_store_explicit(&dp->ext[k], NULL, memory_order_relaxed);
    }
    dp->ext_bytes = 0;
}
