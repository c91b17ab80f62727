/* state.c — changes of an asset's own state and data: from the loader (loaded, failed,
 * reloaded) and from the program (dp_replace, dp_touch). Owner thread unless noted. */
#include "asset/asset_internal.h"
#include "asset/trace.h"
#include "asset/quarantine.h"

void dp__set_state(dp_depot *dp, dp_handle h, dp_state s)
{
    dp__asset *r = dp__rec_live(dp, h);
    /* Release: as every state store; a reader that acquires the state sees what came
     * before it. */
    if (r)
        atomic_store_explicit(&r->state, (uint8_t)s, memory_order_release);
}

void dp__set_type(dp_depot *dp, dp_handle h, dp_type_id type)
{
    dp__asset *r = dp__rec_live(dp, h);
    /* Release: dp_type_of's acquire load then re-checks the slot word (count.c, still_live),
     * as for every store of the type; readers of the data pair it with the state's release. */
    if (r)
        atomic_store_explicit(&r->type, (uint8_t)type, memory_order_release);
}

void dp__set_loaded(dp_depot *dp, dp_handle h, void *data, size_t bytes)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return;
    /* Relaxed: type, data and bytes are written by the owner only, and this is the owner. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
    void *old = atomic_load_explicit(&r->data, memory_order_relaxed);
    /* Data back after a residency budget demoted or evicted it is a reload too. */
    bool reload = dp__resid_back(dp, h, r) || old != NULL;
    if (r->oflags & DP__OF_CACHED) {
        /* Relaxed: the owner reads what only it writes. */
        dp->cached_bytes -= atomic_load_explicit(&r->bytes, memory_order_relaxed);
        dp->cached_bytes += bytes;
    }
    /* Relaxed: owner-written and read by the owner. */
    dp__kept_resized(dp, r, atomic_load_explicit(&r->bytes, memory_order_relaxed), bytes);
    /* Release: dp_bytes_of's acquire load then re-checks the slot word (count.c, still_live). */
    atomic_store_explicit(&r->bytes, bytes, memory_order_release);
    /* Release: the data is complete before a reader that sees LOADED loads the pointer. */
    atomic_store_explicit(&r->data, data, memory_order_release);
    atomic_store_explicit(&r->status, DP_OK, memory_order_relaxed);
    atomic_store_explicit(&r->state, DP_STATE_LOADED, memory_order_release);
    DP__TRACE(dp, DP__T_LOADED, h, reload, NULL, 0);
    if (reload) {
        /* (nothing for an evicted asset) */
        dp__retire_data(dp, h, type, old,
                        dp->cascade_now ? DP__WHY_RELOADED : DP__WHY_REPLACED);
        dp__emit(dp, DP_EV_MODIFIED, h, type, DP_OK);
    } else {
        /* The drain announces LOADED only for assets created loaded (dp_add), so a loaded
         * result announces itself here, once. */
        dp__emit(dp, DP_EV_LOADED, h, type, DP_OK);
    }
    dp__deep_note_change(dp, h, DP_NULL_HANDLE);
}

void dp__set_failed(dp_depot *dp, dp_handle h, dp_status why)
{
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return;
    /* Relaxed: type and data are written by the owner only, and this is the owner. */
    dp_type_id type = atomic_load_explicit(&r->type, memory_order_relaxed);
    dp__resid_failed(dp, r); /* an evicted asset that failed to come back is FAILED */
    if (!atomic_load_explicit(&r->data, memory_order_relaxed)) {
        /* Relaxed: published by the release store of FAILED just below. */
        atomic_store_explicit(&r->status, (int8_t)why, memory_order_relaxed);
        atomic_store_explicit(&r->state, DP_STATE_FAILED, memory_order_release);
        dp__deep_note_change(dp, h, DP_NULL_HANDLE);
    } else {
        /* A failed reload keeps the data it had; the state stays LOADED. */
        atomic_store_explicit(&r->state, DP_STATE_LOADED, memory_order_release);
    }
    DP__TRACE(dp, DP__T_FAILED, h, -why, NULL, 0);
    dp__emit(dp, DP_EV_FAILED, h, type, why);
}

dp_status dp_replace(dp_depot *dp, dp_handle h, void *asset, size_t bytes)
{
    if (!dp || !asset)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    /* Relaxed: the owner is the only writer of LOADED, and this is the owner. */
    if (atomic_load_explicit(&r->state, memory_order_relaxed) != DP_STATE_LOADED)
        return DP_ERR_INVALID;
    /* Make room to retire the old data first, so that NOMEM changes nothing. */
    if (dp__retire_reserve(dp) != DP_OK)
        return DP_ERR_NOMEM;
    dp__set_loaded(dp, h, asset, bytes);
    return DP_OK;
}

dp_status dp_touch(dp_depot *dp, dp_handle h)
{
    if (!dp)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__asset *r = dp__rec_live(dp, h);
    if (!r)
        return DP_ERR_STALE;
    if (dp__resid_want(dp, h)) /* (also a use, for the residency budget's LRU order) */
        return DP_OK; /* demoted or evicted: MODIFIED comes when it is loaded again */
    /* Relaxed: the owner is the only writer of a live asset's type, and this is the owner. */
    dp__emit(dp, DP_EV_MODIFIED, h, atomic_load_explicit(&r->type, memory_order_relaxed), DP_OK);
    return DP_OK;
}
