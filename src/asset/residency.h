/* residency.h — soft references and the byte budgets of soft-only assets (residency.c):
 * the hooks the rest of src/asset calls. Included at the end of asset_internal.h.
 *
 * A soft reference is part of the strong count in the slot word (so nothing about freeing
 * changes) and is also counted in `soft` of its extension record (dp__ext, made when it is
 * listed), which only the owner writes. An asset is soft-only when its count equals its
 * soft count. The owner keeps a list of the assets that have soft references or lost data
 * (DP__RS_LISTED, set before the first soft count, cleared at 0), and at the end of an
 * update demotes soft-only ones, least recently used first, while a budget is exceeded.
 *
 * The pass walks the list only when something may have added soft-only bytes since the last
 * one ("dirty"): a soft count taken, a count of a listed asset going down (every decrement
 * to a non-zero count reaches dp__candidate, which calls dp__resid_note), data installed on
 * a listed asset, a budget changed, a restore that could not start. An idle update with
 * nothing of that costs nothing however many assets are soft-held.
 *
 * Demotion against a concurrent strong acquire (any thread). The owner sets DEMOTING and
 * then reads the count again (both seq_cst); an acquirer moves the count and then reads
 * `resid` (both seq_cst). One of the two sees the other: either the owner sees the new
 * count and gives up, or the acquirer sees the flag and asks for the data back (WANT
 * attention). Internal acquires on the owner call dp__resid_acquired. */
#ifndef DEPOT_ASSET_RESIDENCY_H
#define DEPOT_ASSET_RESIDENCY_H

/* dp__asset.resid bits. */
#define DP__RS_LISTED 0x01u    /* on the residency list (owner) */
#define DP__RS_ADDED 0x02u     /* made by dp_add: never demoted (cannot be loaded again) */
#define DP__RS_DEMOTING 0x04u  /* the owner is demoting it right now */
#define DP__RS_DEMOTED 0x08u   /* its type's demote gave smaller data */
#define DP__RS_EVICTED 0x10u   /* its data was freed (DP_STATE_EVICTED) */
#define DP__RS_RELOADING 0x20u /* a load to bring it back is in flight (owner) */
#define DP__RS_PINNED 0x40u    /* cannot be loaded again (no key, a label, no loader) */
#define DP__RS_LOST (DP__RS_DEMOTING | DP__RS_DEMOTED | DP__RS_EVICTED)

/* A new record: no soft references, not demoted. `added`: made by dp_add. Before the slot
 * is published (its release store publishes these). */
static inline void dp__resid_init(dp__asset *r, bool added)
{
    /* Relaxed: published with the rest of the record by the slot word's release store. The
     * soft count and use clock are in the extension record, which dp__ext_reset zeroes. */
    atomic_store_explicit(&r->resid, added ? DP__RS_ADDED : 0, memory_order_relaxed);
}

/* dp_get saw r->resid listed or lost: refresh the use clock and, if its data is demoted or
 * gone, ask the owner for it (WANT attention). Any thread. */
/* Owner: h took a count without WANT attention (an internal acquire): if its data is
 * demoted or evicted and a strong count now holds it, bring it back. */
void dp__resid_acquired(dp_depot *dp, dp_handle h);
/* Owner: a count of h went down (not to 0): it may have become soft-only. */
void dp__resid_note(dp_depot *dp, dp_handle h);
void dp__resid_used(dp_depot *dp, dp_handle h, dp__asset *r);
/* Owner: WANT attention, a strong count found by the pass, or dp_touch of h: a use (LRU order); if its
 * data is demoted or evicted, start loading it again (once). True if it was. */
bool dp__resid_want(dp_depot *dp, dp_handle h);
/* Owner, when a load result is installed on h (record r): true if it was demoted or
 * evicted (it is back: MODIFIED). Clears the flags. */
bool dp__resid_back(dp_depot *dp, dp_handle h, dp__asset *r);
/* Owner, when a load of r failed: it is no longer being brought back. */
void dp__resid_failed(dp_depot *dp, dp__asset *r);
/* Owner, in dp_update after the cache is trimmed: demote to the budgets. */
void dp__resid_update(dp_depot *dp);
/* Owner: a soft count taken or dropped for a soft group (no holder record). DP_OK,
 * DP_ERR_STALE, DP_ERR_OVERFLOW, DP_ERR_NOMEM; the release: DP_OK, DP_ERR_STALE. */
dp_status dp__soft_acquire(dp_depot *dp, dp_handle h);
dp_status dp__soft_release(dp_depot *dp, dp_handle h);
/* Owner: turns one of h's counts soft (+1) or strong (-1) without moving the count. DP_OK,
 * DP_ERR_STALE, DP_ERR_NOMEM (+1 only), DP_ERR_UNDERFLOW (-1 with no soft count). */
dp_status dp__soft_convert(dp_depot *dp, dp_handle h, int dir);
/* dp_stats' residency counters. Any thread. */
void dp__resid_counters(const dp_depot *dp, dp_stats *out);
/* dp_check's part: soft counts fit the counts and the soft groups, evicted assets have no
 * data, every asset with soft references is listed. Owner. */
dp_status dp__resid_check(const dp_depot *dp);
/* dp_destroy: frees the list and the budgets. */
void dp__resid_free(dp_depot *dp);

#endif
